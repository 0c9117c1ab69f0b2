-- For each schema named in search paths ($1), who other than the role code runs as ($2) could
-- put objects where those paths look: CREATE on the schema (its owner included), or, for a
-- schema that does not exist, the right to create it (CREATE on the database). For pg_temp:
-- who has TEMP on the database. Superusers are left out (they need no hijack), and so is
-- pg_database_owner when the database's owner is $2 or a superuser.
with db as (
  select d.datdba, coalesce(d.datacl, acldefault('d', d.datdba)) as acl
  from pg_database d where d.datname = current_database()
),
runner as (
  select r.oid from pg_roles r where r.rolname = $2
),
wanted as (
  select s.name, s.i, n.oid as nsp, n.nspowner, n.nspacl
  from unnest($1::text[]) with ordinality as s(name, i)
  left join pg_namespace n on n.nspname = s.name and s.name <> 'pg_temp'
)
select
  w.name as schema,
  (w.nsp is not null or w.name = 'pg_temp') as exists,
  array(
    select distinct case when g.grantee = 0 then 'PUBLIC' else g.grantee::regrole::text end
    from (
      select a.grantee from db, aclexplode(db.acl) a where w.name = 'pg_temp' and a.privilege_type = 'TEMPORARY'
      union all
      select a.grantee from db, aclexplode(db.acl) a
      where w.nsp is null and w.name <> 'pg_temp' and a.privilege_type = 'CREATE'
      union all
      select db.datdba from db where w.nsp is null and w.name <> 'pg_temp'
      union all
      select a.grantee from aclexplode(coalesce(w.nspacl, acldefault('n', w.nspowner))) a
      where w.nsp is not null and a.privilege_type = 'CREATE'
      union all
      select w.nspowner where w.nsp is not null
    ) g
    where g.grantee not in (select oid from runner)
      and not exists (select 1 from pg_roles r where r.oid = g.grantee and r.rolsuper)
      and not (
        g.grantee = to_regrole('pg_database_owner')
        and (select db.datdba in (select oid from runner) or (select r.rolsuper from pg_roles r where r.oid = db.datdba) from db)
      )
    order by 1
  ) as creators
from wanted w
order by w.i

-- The functions $1 calls, one level down, outside pg_catalog: what pg_depend records (SQL
-- bodies written BEGIN ATOMIC), schema-qualified calls in its source text, and unqualified
-- calls that resolve in a schema of its own search_path ($2, pg_catalog and pg_temp left out).
-- Reading the text over-approximates (a comment may name a function): more checks, never fewer.
with target as (
  select p.oid, p.prosrc from pg_proc p where p.oid = $1::int8::oid
),
called as (
  select d.refobjid as oid
  from pg_depend d, target t
  where d.classid = 'pg_proc'::regclass and d.objid = t.oid and d.refclassid = 'pg_proc'::regclass
  union
  select p.oid
  from target t
  cross join lateral regexp_matches(t.prosrc, '([a-z_][a-z0-9_$]*)\s*\.\s*([a-z_][a-z0-9_$]*)\s*\(', 'gi') as m
  join pg_namespace n on n.nspname = lower(m[1])
  join pg_proc p on p.pronamespace = n.oid and p.proname = lower(m[2])
  union
  select p.oid
  from target t
  cross join lateral regexp_matches(t.prosrc, '(?:^|[^a-z0-9_$."])([a-z_][a-z0-9_$]*)\s*\(', 'gi') as m
  join pg_namespace n on n.nspname = any ($2::text[])
  join pg_proc p on p.pronamespace = n.oid and p.proname = lower(m[1])
)
select
  format('%s.%s(%s)', quote_ident(n.nspname), quote_ident(p.proname), pg_get_function_identity_arguments(p.oid)) as signature,
  case when p.prosecdef then 'definer' else 'invoker' end as security,
  pg_get_userbyid(p.proowner)::text as owner,
  (select substr(c, length('search_path=') + 1) from unnest(p.proconfig) as c where c like 'search_path=%') as search_path
from called c
join pg_proc p on p.oid = c.oid
join pg_namespace n on n.oid = p.pronamespace
where p.oid <> $1::int8::oid and n.nspname <> 'pg_catalog'
order by 1

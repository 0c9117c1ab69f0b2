-- Whether each role can EXECUTE the function, through its own grants, its memberships or PUBLIC.
select
  r.role,
  exists (select 1 from pg_roles where rolname = r.role) as role_exists,
  case when exists (select 1 from pg_roles where rolname = r.role)
    then has_function_privilege(r.role, $1::int8::oid, 'EXECUTE')
  end as can_execute
from unnest($2::text[]) with ordinality as r(role, i)
order by r.i

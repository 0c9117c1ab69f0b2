-- Every plain function of that schema and name (overloads included), with what a contract checks.
select
  p.oid::int8 as oid,
  p.oid::regprocedure::text as signature,
  array(select format_type(a.t, null) from unnest(p.proargtypes) with ordinality as a(t, i) order by a.i) as argument_types,
  -- proargnames also lists OUT arguments when proargmodes is set; names are compared only for IN-only functions.
  case when p.proargmodes is null then p.proargnames end as argument_names,
  format_type(p.prorettype, null) as return_type,
  p.proretset as returns_set,
  case when p.prosecdef then 'definer' else 'invoker' end as security,
  pg_get_userbyid(p.proowner)::text as owner,
  (select substr(c, length('search_path=') + 1) from unnest(p.proconfig) as c where c like 'search_path=%') as search_path,
  -- A NULL proacl means the defaults, which give EXECUTE to PUBLIC.
  array(
    select case when a.grantee = 0 then 'PUBLIC' else a.grantee::regrole::text end
    from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) as a
    where a.privilege_type = 'EXECUTE'
    order by 1
  ) as execute_grantees
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where n.nspname = $1 and p.proname = $2 and p.prokind = 'f'
order by p.oid

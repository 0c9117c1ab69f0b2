-- gate --live: does the function exist right now (any overload)?
select count(*)::int as n
from pg_proc p
join pg_namespace n on n.oid = p.pronamespace
where n.nspname = $1 and p.proname = $2

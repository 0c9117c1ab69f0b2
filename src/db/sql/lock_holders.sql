-- Sessions other than this one holding a granted lock on the relation named by $1.
select l.pid, l.mode, a.application_name, coalesce(a.usename::text, '') as usename, coalesce(a.state, '') as state,
       extract(epoch from (pg_catalog.now() - a.xact_start))::float8 as transaction_seconds,
       coalesce(a.query, '') as query
from pg_catalog.pg_locks l
join pg_catalog.pg_stat_activity a on a.pid = l.pid
where l.locktype = 'relation'
  and l.granted
  and l.pid <> pg_catalog.pg_backend_pid()
  and l.relation = pg_catalog.to_regclass($1)
order by a.xact_start nulls last

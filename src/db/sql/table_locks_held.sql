-- Relation locks this session holds on ordinary and partitioned tables, outside the catalogs
-- and shipcheck's own schema.
select n.nspname || '.' || c.relname as relation, l.mode
from pg_catalog.pg_locks l
join pg_catalog.pg_class c on c.oid = l.relation
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where l.pid = pg_catalog.pg_backend_pid()
  and l.locktype = 'relation'
  and l.granted
  and c.relkind in ('r', 'p', 'm')
  and n.nspname not in ('pg_catalog', 'information_schema', 'shipcheck', 'pg_toast')

select n.nspname || '.' || c.relname as relation, c.relfilenode::text as filenode
from pg_catalog.pg_class c
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind in ('r', 'm')
  and n.nspname not in ('pg_catalog', 'information_schema', 'shipcheck', 'pg_toast')
  and n.nspname not like 'pg_temp%'

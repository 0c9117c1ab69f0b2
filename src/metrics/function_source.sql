-- What this session's server offers for a function's calls and time: pg_stat_user_functions
-- counts them when track_functions is 'pl' or 'all'; otherwise pg_stat_statements, when the
-- extension is installed in this database (its view is in the extension's schema).
select
  current_database() as database,
  current_setting('track_functions') as track_functions,
  e.extversion as statements_version,
  n.nspname as statements_schema,
  -- null when the library is not loaded in this backend (it defines the setting when preloaded).
  current_setting('pg_stat_statements.track', true) as statements_track,
  -- total_time until 1.7 (PostgreSQL 12), total_exec_time from 1.8 (PostgreSQL 13).
  exists (
    select 1 from pg_attribute a
    where a.attrelid = v.oid and a.attname = 'total_exec_time' and not a.attisdropped
  ) as statements_has_total_exec_time,
  coalesce(has_table_privilege(v.oid, 'select'), false) as statements_selectable,
  -- Without pg_read_all_stats, other roles' statements show "<insufficient privilege>" as text.
  pg_has_role('pg_read_all_stats', 'usage') as sees_all_roles
from (select 1) as one
left join pg_extension e on e.extname = 'pg_stat_statements'
left join pg_namespace n on n.oid = e.extnamespace
left join pg_class v on v.relnamespace = n.oid and v.relname = 'pg_stat_statements' and v.relkind = 'v'

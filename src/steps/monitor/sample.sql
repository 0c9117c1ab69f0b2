-- One reading of the counters the monitor and baseline steps compare over time.
-- Every figure but lock_waits is cumulative (since the statistics were last reset).
select
  clock_timestamp() as at,
  d.deadlocks::int8 as deadlocks,
  d.xact_commit::int8 as xact_commit,
  d.xact_rollback::int8 as xact_rollback,
  d.stats_reset,
  current_setting('track_functions') as track_functions,
  exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = $1 and p.proname = $2
  ) as function_exists,
  -- Overloads are summed: the name is what the checklist watches.
  (select sum(f.calls)::int8 from pg_stat_user_functions f where f.schemaname = $1 and f.funcname = $2) as function_calls,
  (select sum(f.total_time)::float8 from pg_stat_user_functions f where f.schemaname = $1 and f.funcname = $2) as function_total_ms,
  -- Backends of this database waiting for a lock right now (row locks show as transactionid/tuple waits).
  (select count(*)::int8 from pg_stat_activity a where a.datname = current_database() and a.wait_event_type = 'Lock') as lock_waits
from pg_stat_database d
where d.datname = current_database()

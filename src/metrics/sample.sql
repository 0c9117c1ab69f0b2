-- One reading of the counters the monitor and baseline steps compare over time.
-- Every figure but the lock waits is cumulative (since the statistics were last reset).
-- $1, $2: the watched function's schema and name ('' when none); $3: the watched table (null when none).
select
  clock_timestamp() as at,
  d.deadlocks::int8 as deadlocks,
  d.xact_commit::int8 as xact_commit,
  d.xact_rollback::int8 as xact_rollback,
  d.stats_reset,
  -- A restart changes it; a crash (immediate stop, a backend killed) also throws the counters away.
  pg_postmaster_start_time() as server_started_at,
  -- Crash recovery throws every statistic away and stamps the shared ones (archiver among them)
  -- with the time; a clean restart keeps them. The only trace of a crash that kept the postmaster.
  (select a.stats_reset from pg_stat_archiver a) as shared_stats_reset,
  current_setting('track_functions') as track_functions,
  exists (
    select 1 from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = $1 and p.proname = $2
  ) as function_exists,
  -- Overloads are summed: the name is what the checklist watches.
  (select sum(f.calls)::int8 from pg_stat_user_functions f where f.schemaname = $1 and f.funcname = $2) as function_calls,
  (select sum(f.total_time)::float8 from pg_stat_user_functions f where f.schemaname = $1 and f.funcname = $2) as function_total_ms,
  -- Backends of this database waiting for a lock right now (row locks show as transactionid/tuple waits).
  (select count(*)::int8 from pg_stat_activity a where a.datname = current_database() and a.wait_event_type = 'Lock') as lock_waits,
  -- Of those, the ones working on the watched table: a row-lock waiter waits on a transaction id
  -- (no relation in that lock) while it holds its own lock on the table it is updating.
  -- Relation OIDs are per database, and a copy of this one (CREATE DATABASE ... TEMPLATE) has the
  -- same: only this database's locks count.
  case when to_regclass($3) is not null then (
    select count(distinct w.pid)::int8 from pg_locks w
    where not w.granted
      and exists (
        select 1 from pg_locks t
        where t.pid = w.pid and t.relation = to_regclass($3)
          and t.database = (select oid from pg_database where datname = current_database())
      )
  ) end as table_lock_waits
from pg_stat_database d
where d.datname = current_database()

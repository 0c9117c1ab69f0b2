-- Counters of one function in the current database (track_functions = pl or all).
-- Each autocommit read gets a fresh stats snapshot, so polling sees new reports.
select sum(calls) as calls, sum(total_time)::float8 as total_ms
from pg_catalog.pg_stat_user_functions
where schemaname = 'public' and funcname = $1

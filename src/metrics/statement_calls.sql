-- The watched function's calls and time as pg_stat_statements sees them (the source when
-- track_functions is 'none'): the statements of this database whose text calls it.
-- A statement counts once per execution however often it calls the function, and its time is
-- the statement's execution time (planning not included). Cumulative since the last reset.
-- {{statements_view}}: the view, schema-qualified from the catalog (an identifier cannot be bound).
-- $1: the regular expression a statement's text matches when it calls the function;
-- $2: the one it matches when it defines, alters, drops or grants it instead (not a call).
select
  coalesce(sum(s.calls), 0)::int8 as calls,
  coalesce(sum(s.total_exec_time), 0)::float8 as total_ms
from {{statements_view}} as s
where s.dbid = (select d.oid from pg_database d where d.datname = current_database())
  and s.query ~* $1
  and s.query !~* $2

-- Reads pg_stat_statements once: fails with 55000 when the library is not in
-- shared_preload_libraries, with 42501 when this role may not read it.
-- {{statements_view}}: the view, schema-qualified from the catalog (an identifier cannot be bound).
select count(*)::int8 as rows from (select 1 from {{statements_view}} limit 1) as probe

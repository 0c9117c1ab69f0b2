-- The columns of a table as CREATE TABLE needs them. Run with search_path = pg_catalog so
-- every type and function outside pg_catalog comes out schema-qualified.
select
  quote_ident(a.attname) as name,
  format_type(a.atttypid, a.atttypmod) as type,
  a.attnotnull as not_null,
  a.attidentity as identity,
  a.attgenerated as generated,
  pg_get_expr(d.adbin, d.adrelid) as default_expr
from pg_attribute a
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
order by a.attnum

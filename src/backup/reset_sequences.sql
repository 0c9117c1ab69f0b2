-- Identity and serial columns of a table with the sequence that feeds them.
select quote_ident(a.attname) as column_name, pg_get_serial_sequence($1, a.attname) as sequence
from pg_attribute a
where a.attrelid = $1::regclass and a.attnum > 0 and not a.attisdropped
  and pg_get_serial_sequence($1, a.attname) is not null

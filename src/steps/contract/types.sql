-- The server's own spelling of each type name (int → integer, timestamptz → timestamp with time zone).
select t.name, format_type(to_regtype(t.name), null) as canonical
from unnest($1::text[]) with ordinality as t(name, i)
order by t.i

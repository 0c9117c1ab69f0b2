-- Primary key, unique, check, exclusion and foreign key constraints (NOT NULL is on the columns).
select quote_ident(c.conname) as name, pg_get_constraintdef(c.oid) as definition
from pg_constraint c
where c.conrelid = $1::regclass and c.contype in ('p', 'u', 'c', 'x', 'f')
order by c.contype = 'f', c.conname

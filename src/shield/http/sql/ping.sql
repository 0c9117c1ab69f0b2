-- The cheapest round trip that proves a pooled connection works.
select 1 as ok

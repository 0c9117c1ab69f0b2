-- One round trip for a violation and its comment's strikes (M1, M3). The strike calls
-- run after the violation's upsert, because their subquery reads its result, and in
-- tag order ($6/$7 come in order; ordinality keeps it). A failing call fails the whole
-- statement: either the violation and every strike are recorded, or nothing is.
select v.result,
       (select pg_catalog.jsonb_agg(public.atomic_add_user_strike($1, $2, $3, $4, s.strikes, s.reason) order by s.position)
          from rows from (pg_catalog.unnest($6::int[]), pg_catalog.unnest($7::text[])) with ordinality as s(strikes, reason, position)
         where v.result is not null) as strikes
  from public.atomic_update_user_behavior($1, $2, $3, $4, $5::jsonb) as v(result)

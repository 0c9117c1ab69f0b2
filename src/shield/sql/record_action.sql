-- The whole Shield action of one comment in one round trip (migration 026): violation,
-- strikes, shield_actions rows, jobs and the idempotency claim, in one transaction.
-- $1 organization, $2 platform, $3 platform user id, $4 username, $5 violation data,
-- $6 strikes, $7 plan per offence level, $8 request key, $9 request hash (wholeAction.ts).
select public.shield_record_action($1::uuid, $2, $3, $4, $5::jsonb, $6::jsonb, $7::jsonb, $8, $9) as result

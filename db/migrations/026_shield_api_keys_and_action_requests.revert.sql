-- Rollback of migration 026: drop the one-call action function and both tables. The
-- keys go with it (services fall back to the development token or refuse to start),
-- and so does the idempotency ledger; Shield's behaviours, actions and jobs stay.
drop function if exists public.shield_record_action(uuid, text, text, text, jsonb, jsonb, jsonb, text, text);
drop table if exists public.shield_action_requests;
drop table if exists public.shield_api_keys;

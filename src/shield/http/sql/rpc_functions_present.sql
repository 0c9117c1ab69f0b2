-- Whether migration 024's functions exist with the exact signatures the rpc writer calls,
-- and whether migration 026's (the action writer's function, the API keys table) are there.
select
  to_regprocedure('public.atomic_update_user_behavior(uuid, text, text, text, jsonb)') is not null
  and to_regprocedure('public.atomic_add_user_strike(uuid, text, text, text, integer, text)') is not null
  as present,
  to_regprocedure('public.shield_record_action(uuid, text, text, text, jsonb, jsonb, jsonb, text, text)') is not null
  as action_present

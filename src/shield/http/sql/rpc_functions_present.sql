-- Whether migration 024's functions exist with the exact signatures the rpc writer calls.
select
  to_regprocedure('public.atomic_update_user_behavior(uuid, text, text, text, jsonb)') is not null
  and to_regprocedure('public.atomic_add_user_strike(uuid, text, text, text, integer, text)') is not null
  as present

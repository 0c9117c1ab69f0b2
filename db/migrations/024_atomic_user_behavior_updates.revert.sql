-- Rollback of migration 024 ("function-related" branch of the decision tree): drop both
-- functions by exact signature. IF EXISTS so a rollback after an emergency manual drop
-- still completes and clears the history row. Data in user_behaviors is left as is.
drop function if exists public.atomic_update_user_behavior(uuid, text, text, text, jsonb);
drop function if exists public.atomic_add_user_strike(uuid, text, text, text, integer, text);

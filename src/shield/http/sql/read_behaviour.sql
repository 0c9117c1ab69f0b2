-- One offender's behaviour row as the API returns it (timestamps as ISO strings by the driver).
select organization_id, platform, platform_user_id, platform_username,
       total_violations, severity_counts, actions_taken, strikes,
       is_blocked, is_muted_permanent, muted_until,
       first_seen_at, last_seen_at, last_violation_at, last_strike_at, created_at, updated_at
from public.user_behaviors
where organization_id = $1 and platform = $2 and platform_user_id = $3

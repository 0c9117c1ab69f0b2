-- Pre-024 step 1 of 2: read the offender's row (no FOR UPDATE: that is the bug).
select total_violations, severity_counts, actions_taken, strikes
from public.user_behaviors
where organization_id = $1 and platform = $2 and platform_user_id = $3

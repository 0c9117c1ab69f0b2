select total_violations
from public.user_behaviors
where organization_id = $1 and platform = $2 and platform_user_id = $3

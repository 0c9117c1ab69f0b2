-- Pre-024 step 2 of 2: write absolute values computed from an earlier read.
-- A concurrent writer's increment between the read and this write is overwritten.
insert into public.user_behaviors as b (
  organization_id, platform, platform_user_id, platform_username,
  total_violations, severity_counts, actions_taken,
  last_violation_at, last_seen_at, updated_at
)
values ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $8, $8)
on conflict (organization_id, platform, platform_user_id) do update set
  platform_username = coalesce(excluded.platform_username, b.platform_username),
  total_violations  = excluded.total_violations,
  severity_counts   = excluded.severity_counts,
  actions_taken     = excluded.actions_taken,
  last_violation_at = excluded.last_violation_at,
  last_seen_at      = excluded.last_seen_at,
  updated_at        = excluded.updated_at
returning platform_user_id as user_id, organization_id, total_violations, severity_counts, last_violation_at

-- Pre-024 strikes: an absolute value computed from an earlier read (lost-update prone).
insert into public.user_behaviors as b (
  organization_id, platform, platform_user_id, platform_username,
  strikes, last_strike_at, last_seen_at, updated_at
)
values ($1, $2, $3, $4, $5, $6, $6, $6)
on conflict (organization_id, platform, platform_user_id) do update set
  platform_username = coalesce(excluded.platform_username, b.platform_username),
  strikes           = excluded.strikes,
  last_strike_at    = excluded.last_strike_at,
  last_seen_at      = excluded.last_seen_at,
  updated_at        = excluded.updated_at
returning platform_user_id as user_id, organization_id, strikes, last_strike_at

-- One row per offender per organization and platform: the behaviour Shield escalates on.
create table public.user_behaviors (
  id                  uuid primary key default gen_random_uuid(),
  organization_id     uuid not null references public.organizations (id) on delete cascade,
  platform            text not null check (length(platform) between 1 and 64),
  platform_user_id    text not null check (length(platform_user_id) between 1 and 256),
  platform_username   text,
  total_violations    integer not null default 0 check (total_violations >= 0),
  severity_counts     jsonb not null default '{"low": 0, "medium": 0, "high": 0, "critical": 0}'::jsonb,
  -- Newest entries last, bounded by atomic_update_user_behavior (see its comment).
  actions_taken       jsonb not null default '[]'::jsonb check (jsonb_typeof(actions_taken) = 'array'),
  strikes             integer not null default 0 check (strikes >= 0),
  is_blocked          boolean not null default false,
  is_muted_permanent  boolean not null default false,
  muted_until         timestamptz,
  first_seen_at       timestamptz not null default now(),
  last_seen_at        timestamptz not null default now(),
  last_violation_at   timestamptz,
  last_strike_at      timestamptz,
  created_at          timestamptz not null default now(),
  updated_at          timestamptz not null default now(),
  constraint user_behaviors_offender_key unique (organization_id, platform, platform_user_id),
  constraint user_behaviors_severity_counts_keys check (
    severity_counts ?& array['low', 'medium', 'high', 'critical']
  )
);

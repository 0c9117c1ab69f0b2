-- The audit trail: one row per action Shield decided, written in one batch per comment (M2).
create table public.shield_actions (
  id                 uuid primary key default gen_random_uuid(),
  organization_id    uuid not null references public.organizations (id) on delete cascade,
  platform           text not null,
  platform_user_id   text not null,
  platform_username  text,
  comment_id         text not null,
  action_tag         text not null,
  -- The platform's own name for the action (hide_reply, timeout_member, …); null for internal tags.
  platform_action    text,
  severity           text check (severity in ('low', 'medium', 'high', 'critical')),
  offense_level      text check (offense_level in ('first', 'repeat', 'persistent', 'dangerous')),
  status             text not null check (status in ('queued', 'recorded', 'skipped', 'failed')),
  reason             text,
  metadata           jsonb not null default '{}'::jsonb,
  created_at         timestamptz not null default now()
);
create index shield_actions_offender_idx
  on public.shield_actions (organization_id, platform, platform_user_id, created_at desc);
create index shield_actions_comment_idx on public.shield_actions (organization_id, comment_id);

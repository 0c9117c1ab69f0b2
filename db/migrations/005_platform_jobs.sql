-- Platform calls (hide, mute, block, report) are queued here and executed by a worker, never inline.
create table public.shield_jobs (
  id               bigint generated always as identity primary key,
  organization_id  uuid not null references public.organizations (id) on delete cascade,
  shield_action_id uuid references public.shield_actions (id) on delete set null,
  platform         text not null,
  action           text not null,
  payload          jsonb not null default '{}'::jsonb,
  status           text not null default 'queued' check (status in ('queued', 'running', 'done', 'failed')),
  attempts         integer not null default 0,
  last_error       text,
  run_after        timestamptz not null default now(),
  created_at       timestamptz not null default now(),
  updated_at       timestamptz not null default now()
);
-- Workers claim with FOR UPDATE SKIP LOCKED in run_after order.
create index shield_jobs_claim_idx on public.shield_jobs (run_after) where status = 'queued';

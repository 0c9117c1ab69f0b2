-- Claims up to $1 due jobs for one worker. SKIP LOCKED lets workers claim side by side
-- without waiting on each other or taking the same job. A job left 'running' for $2
-- seconds belongs to a worker that died: it is claimed again (attempts counts it).
update public.shield_jobs j
set status = 'running', attempts = j.attempts + 1, updated_at = now()
where j.id in (
  select c.id
  from public.shield_jobs c
  where (c.status = 'queued' and c.run_after <= now())
     or (c.status = 'running' and c.updated_at < now() - make_interval(secs => $2::double precision))
  order by c.run_after, c.id
  limit $1::integer
  for update skip locked
)
returning j.id::text, j.organization_id, j.shield_action_id, j.platform, j.action, j.payload, j.attempts

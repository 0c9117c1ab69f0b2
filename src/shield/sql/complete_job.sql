-- Completes a job and applies its sanction to the offender's user_behaviors row in ONE
-- statement: a done block job and is_blocked = false are never visible together, and a
-- statement that fails (or a job no longer this worker's) leaves both untouched.
-- $1 job id, $2 the caller's organization id,
-- $3 jsonb {platform: {platform action: block | mute_permanent | mute_temp}} (sanctions.ts),
-- $4 the longest timed mute in seconds.
-- Always returns one row when the job exists, so the caller can tell "unknown job",
-- "another organization's job", "a sanction it cannot record" and "no longer running" apart.
with job as (
  select
    j.id,
    j.organization_id,
    j.platform,
    j.status,
    $3::jsonb -> j.platform ->> j.action as sanction,
    jsonb_typeof(j.payload -> 'platform_user_id') as platform_user_id_type,
    j.payload ->> 'platform_user_id' as platform_user_id,
    j.payload ->> 'platform_username' as platform_username,
    case
      when jsonb_typeof(j.payload -> 'duration_seconds') = 'number'
        then (j.payload ->> 'duration_seconds')::numeric
    end as duration_seconds
  from public.shield_jobs j
  where j.id = $1::bigint
),
checked as (
  select
    job.*,
    case
      when job.sanction is null then null
      when job.platform_user_id_type is distinct from 'string'
           or length(job.platform_user_id) not between 1 and 256
        then 'has no platform_user_id of 1 to 256 characters in its payload'
      when job.sanction = 'mute_temp'
           and (job.duration_seconds is null
                or job.duration_seconds <> trunc(job.duration_seconds)
                or job.duration_seconds not between 1 and $4::integer)
        then 'is a timed mute without a valid duration_seconds'
    end as problem
  from job
),
done as (
  update public.shield_jobs j
  set status = 'done', last_error = null, updated_at = now()
  from checked c
  -- Only the claimant finishes a job: one no longer 'running' was reclaimed or settled elsewhere.
  where j.id = c.id and j.organization_id = $2::uuid and j.status = 'running' and c.problem is null
  returning j.id
),
sanctioned as (
  -- An upsert, not an update: a behaviour row removed since the job was queued must not
  -- swallow a sanction the platform has applied. The flags only ever turn on and a timed
  -- mute only ever extends, so completions for one offender commute: any order, same row.
  insert into public.user_behaviors as ub (
    organization_id, platform, platform_user_id, platform_username,
    is_blocked, is_muted_permanent, muted_until
  )
  select
    c.organization_id, c.platform, c.platform_user_id, c.platform_username,
    c.sanction = 'block',
    c.sanction = 'mute_permanent',
    case when c.sanction = 'mute_temp' then now() + make_interval(secs => c.duration_seconds::double precision) end
  from checked c
  join done d on d.id = c.id
  where c.sanction is not null
  on conflict (organization_id, platform, platform_user_id) do update set
    platform_username  = coalesce(ub.platform_username, excluded.platform_username),
    is_blocked         = ub.is_blocked or excluded.is_blocked,
    is_muted_permanent = ub.is_muted_permanent or excluded.is_muted_permanent,
    muted_until        = greatest(ub.muted_until, excluded.muted_until),
    updated_at         = now()
  returning ub.is_blocked, ub.is_muted_permanent, ub.muted_until
)
select
  c.organization_id = $2::uuid as same_organization,
  c.status as status_before,
  c.sanction,
  c.problem,
  d.id is not null as completed,
  s.is_blocked,
  s.is_muted_permanent,
  s.muted_until
from checked c
left join done d on true
left join sanctioned s on true

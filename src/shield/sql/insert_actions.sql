-- The whole audit batch of one comment and its platform jobs, in ONE statement (M2):
-- either every shield_actions row and every shield_jobs row is written, or none is.
-- The autoActions gate is read here too, so it costs no round trip and is never stale.
-- $1 organization id, $2 jsonb array of planned rows (see actionsStore.ts).
with org as (
  select (o.settings ->> 'auto_actions') is not distinct from 'false' as gate_closed
  from public.organizations o
  where o.id = $1::uuid
),
batch as (
  select b.*
  from jsonb_to_recordset($2::jsonb) as b (
    ordinal           integer,
    platform          text,
    platform_user_id  text,
    platform_username text,
    comment_id        text,
    action_tag        text,
    platform_action   text,
    severity          text,
    offense_level     text,
    disposition       text,
    reason            text,
    metadata          jsonb,
    job_payload       jsonb
  )
),
decided as (
  select
    b.*,
    -- A missing organization leaves gate_closed null: the row is 'queued' and the
    -- foreign key then refuses the insert, instead of a silent empty batch.
    case
      when b.disposition <> 'platform' then b.disposition
      when coalesce(org.gate_closed, false) then 'recorded'
      else 'queued'
    end as status,
    case
      when b.disposition = 'platform' and coalesce(org.gate_closed, false)
        then 'auto actions are off for this organization'
      else b.reason
    end as final_reason
  from batch b
  left join org on true
),
inserted as (
  insert into public.shield_actions (
    organization_id, platform, platform_user_id, platform_username, comment_id,
    action_tag, platform_action, severity, offense_level, status, reason, metadata
  )
  select
    $1::uuid, d.platform, d.platform_user_id, d.platform_username, d.comment_id,
    d.action_tag, d.platform_action, d.severity, d.offense_level, d.status, d.final_reason,
    coalesce(d.metadata, '{}'::jsonb)
  from decided d
  order by d.ordinal
  returning id, action_tag, status, reason, platform_action
),
jobs as (
  insert into public.shield_jobs (organization_id, shield_action_id, platform, action, payload)
  select $1::uuid, i.id, d.platform, d.platform_action, d.job_payload || jsonb_build_object('shield_action_id', i.id)
  from inserted i
  -- Tags are unique within a batch, so the tag pairs each inserted row with its plan.
  join decided d on d.action_tag = i.action_tag
  where i.status = 'queued'
  returning id, shield_action_id
)
select i.id, i.action_tag, i.status, i.reason, i.platform_action, j.id::text as job_id
from inserted i
left join jobs j on j.shield_action_id = i.id

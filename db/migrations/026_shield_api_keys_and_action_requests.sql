-- Migration 026 (issue 11, sections 3 and 4): API keys scoped to one organization, and
-- one Shield action recorded by one function call — one round trip, one transaction,
-- counted once. Contract: docs/http-api.md and docs/shield-service.md.
--
-- shield_api_keys keeps only a SHA-256 of each key's secret (the secret is printed once
-- by `shipcheck shield keys create` and never stored). shield_action_requests is the
-- idempotency ledger: its primary key is what makes a repeated or concurrent request
-- count once (a unique constraint, not a read-then-write).
--
-- shield_record_action is SECURITY INVOKER with search_path = pg_catalog, pg_temp:
-- every public object it uses is schema-qualified, and pg_temp is named last so a
-- caller's temporary types cannot shadow built-in ones.

create table public.shield_api_keys (
  -- The public half of a key ("shk_<id>.<secret>"): 16 hex characters, safe to log.
  id              text primary key check (id ~ '^[0-9a-f]{16}$'),
  organization_id uuid not null references public.organizations (id) on delete cascade,
  secret_sha256   bytea not null check (octet_length(secret_sha256) = 32),
  scopes          text[] not null check (
                    cardinality(scopes) between 1 and 3
                    and scopes <@ array['actions:write', 'behaviours:read', 'admin']::text[]),
  label           text check (label is null or length(label) <= 200),
  created_at      timestamptz not null default now(),
  revoked_at      timestamptz
);
create index shield_api_keys_organization_idx on public.shield_api_keys (organization_id);
comment on table public.shield_api_keys is
  'Shield HTTP API keys, one organization each; only a SHA-256 of the secret is kept (migration 026).';

create table public.shield_action_requests (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  -- "comment:<platform>:<comment id>" or "key:<Idempotency-Key header>".
  request_key     text not null check (length(request_key) between 1 and 300),
  -- SHA-256 (hex) of the request, so a key reused for another request is refused, not replayed.
  request_hash    text not null check (request_hash ~ '^[0-9a-f]{64}$'),
  result          jsonb,
  created_at      timestamptz not null default now(),
  primary key (organization_id, request_key)
);
comment on table public.shield_action_requests is
  'One row per Shield action request: repeats return the stored result and write nothing (migration 026).';

revoke all on public.shield_api_keys, public.shield_action_requests from public, anon, authenticated;
grant select, insert, update, delete on public.shield_api_keys, public.shield_action_requests to service_role;
alter table public.shield_api_keys enable row level security;
alter table public.shield_action_requests enable row level security;
create policy service_role_all_api_keys on public.shield_api_keys
  for all to service_role using (true) with check (true);
create policy service_role_all_action_requests on public.shield_action_requests
  for all to service_role using (true) with check (true);


-- The whole action of one comment in one call. The caller (the Shield service) plans the
-- platform actions for each offence level it might land on; this function records the
-- violation (atomic_update_user_behavior), the strikes in order (atomic_add_user_strike),
-- reads the offence level from the result with the caller's floors, and writes the
-- matching plan's shield_actions rows and shield_jobs in one statement. Any error rolls
-- back everything, including the idempotency claim.
--
-- p_strikes  jsonb array of {strikes: 1|2, reason: text}, in tag order.
-- p_plan     {floors: [{level, violations, strikes, critical|null}] most serious first,
--             request_metadata: object, by_level: {first|repeat|persistent|dangerous|any: [row]}}
--            row = {ordinal, action_tag, platform_action, disposition, reason, metadata,
--                   job_payload, strike_index (1-based into p_strikes, or null)}
-- Returns {replay, offense_level, behaviour, strikes, actions: [{id, action_tag, status,
-- reason, platform_action, job_id}]}, or {conflict: true} when p_request_key was used
-- for a request with another p_request_hash (nothing written).
create function public.shield_record_action(
  p_organization_id   uuid,
  p_platform          text,
  p_platform_user_id  text,
  p_platform_username text,
  p_violation_data    jsonb,
  p_strikes           jsonb,
  p_plan              jsonb,
  p_request_key       text,
  p_request_hash      text
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
  v_claimed      pg_catalog.int4;
  v_prior        record;
  v_behaviour    pg_catalog.jsonb;
  v_strikes      pg_catalog.jsonb := '[]';
  v_strike       pg_catalog.jsonb;
  v_strike_count pg_catalog.int4 := 0;
  v_total        pg_catalog.int4;
  v_critical     pg_catalog.int4;
  v_floor        pg_catalog.jsonb;
  v_level        pg_catalog.text := 'first';
  v_rows         pg_catalog.jsonb;
  v_actions      pg_catalog.jsonb;
  v_result       pg_catalog.jsonb;
begin
  if p_request_key is null or pg_catalog.length(p_request_key) operator(pg_catalog.<) 1
     or pg_catalog.length(p_request_key) operator(pg_catalog.>) 300 then
    raise exception 'shield_record_action: p_request_key must be 1 to 300 characters long'
      using errcode = 'invalid_parameter_value';
  end if;
  if p_strikes is null or pg_catalog.jsonb_typeof(p_strikes) operator(pg_catalog.<>) 'array' then
    raise exception 'shield_record_action: p_strikes must be a JSON array'
      using errcode = 'invalid_parameter_value';
  end if;
  if p_plan is null or pg_catalog.jsonb_typeof(p_plan operator(pg_catalog.->) 'by_level') is distinct from 'object'
     or pg_catalog.jsonb_typeof(p_plan operator(pg_catalog.->) 'floors') is distinct from 'array' then
    raise exception 'shield_record_action: p_plan must have a by_level object and a floors array'
      using errcode = 'invalid_parameter_value';
  end if;

  -- The claim. A concurrent duplicate waits here on the primary key until the first
  -- commits (then it finds the row) or rolls back (then it claims the key itself).
  insert into public.shield_action_requests (organization_id, request_key, request_hash)
  values (p_organization_id, p_request_key, p_request_hash)
  on conflict (organization_id, request_key) do nothing;
  get diagnostics v_claimed = row_count;
  if v_claimed operator(pg_catalog.=) 0 then
    select r.request_hash, r.result into v_prior
      from public.shield_action_requests r
     where r.organization_id operator(pg_catalog.=) p_organization_id
       and r.request_key operator(pg_catalog.=) p_request_key;
    if v_prior.request_hash operator(pg_catalog.<>) p_request_hash then
      return pg_catalog.jsonb_build_object('conflict', true);
    end if;
    return v_prior.result operator(pg_catalog.||) pg_catalog.jsonb_build_object('replay', true);
  end if;

  v_behaviour := public.atomic_update_user_behavior(
    p_organization_id, p_platform, p_platform_user_id, p_platform_username, p_violation_data);
  for v_strike in select s.value from pg_catalog.jsonb_array_elements(p_strikes) with ordinality as s(value, position)
                  order by s.position loop
    v_strike := public.atomic_add_user_strike(
      p_organization_id, p_platform, p_platform_user_id, p_platform_username,
      (v_strike operator(pg_catalog.->>) 'strikes')::pg_catalog.int4, v_strike operator(pg_catalog.->>) 'reason');
    v_strikes := v_strikes operator(pg_catalog.||) pg_catalog.jsonb_build_array(v_strike);
    v_strike_count := (v_strike operator(pg_catalog.->>) 'strikes')::pg_catalog.int4;
  end loop;

  -- The same floors offenseLevelFrom applies (passed in, so the rule lives in one place).
  v_total := (v_behaviour operator(pg_catalog.->>) 'total_violations')::pg_catalog.int4;
  v_critical := ((v_behaviour operator(pg_catalog.->) 'severity_counts') operator(pg_catalog.->>) 'critical')::pg_catalog.int4;
  for v_floor in select f.value from pg_catalog.jsonb_array_elements(p_plan operator(pg_catalog.->) 'floors')
                 with ordinality as f(value, position) order by f.position loop
    if v_total operator(pg_catalog.>=) (v_floor operator(pg_catalog.->>) 'violations')::pg_catalog.int4
       or v_strike_count operator(pg_catalog.>=) (v_floor operator(pg_catalog.->>) 'strikes')::pg_catalog.int4
       or v_critical operator(pg_catalog.>=) coalesce((v_floor operator(pg_catalog.->>) 'critical')::pg_catalog.int4, 2147483647) then
      v_level := v_floor operator(pg_catalog.->>) 'level';
      exit;
    end if;
  end loop;

  v_rows := coalesce((p_plan operator(pg_catalog.->) 'by_level') operator(pg_catalog.->) v_level,
                     (p_plan operator(pg_catalog.->) 'by_level') operator(pg_catalog.->) 'any');
  if v_rows is null or pg_catalog.jsonb_typeof(v_rows) operator(pg_catalog.<>) 'array' then
    raise exception 'shield_record_action: p_plan has no plan for offence level %', v_level
      using errcode = 'invalid_parameter_value';
  end if;

  with org as (
    select (o.settings operator(pg_catalog.->>) 'auto_actions') is not distinct from 'false' as gate_closed
    from public.organizations o
    where o.id operator(pg_catalog.=) p_organization_id
  ),
  batch as (
    select b.*
    from pg_catalog.jsonb_to_recordset(v_rows) as b (
      ordinal         pg_catalog.int4,
      action_tag      pg_catalog.text,
      platform_action pg_catalog.text,
      disposition     pg_catalog.text,
      reason          pg_catalog.text,
      metadata        pg_catalog.jsonb,
      job_payload     pg_catalog.jsonb,
      strike_index    pg_catalog.int4
    )
  ),
  decided as (
    select
      b.ordinal, b.action_tag, b.platform_action, b.job_payload,
      case
        when b.disposition operator(pg_catalog.<>) 'platform' then b.disposition
        when coalesce(org.gate_closed, false) then 'recorded'
        else 'queued'
      end as status,
      case
        when b.disposition operator(pg_catalog.=) 'platform' and coalesce(org.gate_closed, false)
          then 'auto actions are off for this organization'
        else b.reason
      end as final_reason,
      pg_catalog.jsonb_build_object('request', coalesce(p_plan operator(pg_catalog.->) 'request_metadata', '{}'::pg_catalog.jsonb))
        operator(pg_catalog.||) coalesce(b.metadata, '{}'::pg_catalog.jsonb)
        operator(pg_catalog.||) case
          when b.strike_index is null then '{}'::pg_catalog.jsonb
          else pg_catalog.jsonb_build_object('strikes_after',
                 (v_strikes operator(pg_catalog.->) (b.strike_index operator(pg_catalog.-) 1)) operator(pg_catalog.->) 'strikes')
        end as metadata
    from batch b
    left join org on true
  ),
  inserted as (
    insert into public.shield_actions (
      organization_id, platform, platform_user_id, platform_username, comment_id,
      action_tag, platform_action, severity, offense_level, status, reason, metadata
    )
    select
      p_organization_id, p_platform, p_platform_user_id, p_platform_username,
      p_violation_data operator(pg_catalog.->>) 'comment_id',
      d.action_tag, d.platform_action, p_violation_data operator(pg_catalog.->>) 'severity', v_level,
      d.status, d.final_reason, d.metadata
    from decided d
    order by d.ordinal
    returning id, action_tag, status, reason, platform_action
  ),
  jobs as (
    insert into public.shield_jobs (organization_id, shield_action_id, platform, action, payload)
    select p_organization_id, i.id, p_platform, d.platform_action,
           d.job_payload operator(pg_catalog.||) pg_catalog.jsonb_build_object('shield_action_id', i.id)
    from inserted i
    join decided d on d.action_tag operator(pg_catalog.=) i.action_tag
    where i.status operator(pg_catalog.=) 'queued'
    returning id, shield_action_id
  )
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
           'id', i.id, 'action_tag', i.action_tag, 'status', i.status, 'reason', i.reason,
           'platform_action', i.platform_action, 'job_id', j.id::pg_catalog.text) order by d.ordinal), '[]'::pg_catalog.jsonb)
    into v_actions
    from inserted i
    join decided d on d.action_tag operator(pg_catalog.=) i.action_tag
    left join jobs j on j.shield_action_id operator(pg_catalog.=) i.id;

  v_result := pg_catalog.jsonb_build_object(
    'offense_level', v_level, 'behaviour', v_behaviour, 'strikes', v_strikes, 'actions', v_actions);
  update public.shield_action_requests r set result = v_result
   where r.organization_id operator(pg_catalog.=) p_organization_id
     and r.request_key operator(pg_catalog.=) p_request_key;
  return v_result operator(pg_catalog.||) pg_catalog.jsonb_build_object('replay', false);
end
$$;

comment on function public.shield_record_action(uuid, text, text, text, jsonb, jsonb, jsonb, text, text) is
  'One Shield action in one call: violation, strikes, shield_actions rows and jobs, idempotent per request key (migration 026).';

-- service_role only: the function queues shield_jobs, which authenticated may not write.
revoke all on function public.shield_record_action(uuid, text, text, text, jsonb, jsonb, jsonb, text, text)
  from public, anon, authenticated;
grant execute on function public.shield_record_action(uuid, text, text, text, jsonb, jsonb, jsonb, text, text)
  to service_role;

-- Migration 025 (security): close the member-to-superuser escalation found by the audit
-- (issue 11) and what Supabase's database advisor flags. Forward migrations 001-006 are never
-- edited; this one re-creates their functions and 024's. Threats and tests: docs/security.md.
--
-- Why pg_temp is named last: a function's `SET search_path = pg_catalog` without pg_temp
-- leaves the session's temporary schema searched FIRST for relations and types. Any role
-- with TEMP on the database (PUBLIC by default) can then create `pg_temp.uuid` as a domain
-- whose CHECK calls its own function, and every `::uuid` inside the function runs it. Inside
-- the SECURITY DEFINER is_organization_member (every RLS policy calls it) that function ran
-- as the owner: `alter role … superuser`. Functions and operators are never looked up in
-- pg_temp, so `pg_catalog, pg_temp` leaves the caller nothing to plant.
--
-- Why public leaves the paths: a role granted CREATE on public could add an operator such as
-- public.<(numeric, integer), an exact match preferred over pg_catalog's, that then runs for
-- every caller (service_role included). Every object these functions use is schema-qualified.

-- auth.uid(): only 001's shim (its config is exactly search_path=pg_catalog). Supabase's own
-- auth.uid() sets no search_path, so it runs with its caller's, which below is pg_temp-last.
do $$
begin
  if exists (select 1 from pg_catalog.pg_proc
             where oid operator(pg_catalog.=) pg_catalog.to_regprocedure('auth.uid()')
               and proconfig operator(pg_catalog.=) array['search_path=pg_catalog']::pg_catalog.text[]) then
    execute $fn$
      create or replace function auth.uid() returns pg_catalog.uuid
      language sql stable
      set search_path = pg_catalog, pg_temp
      as $body$
        select nullif(coalesce(
          pg_catalog.current_setting('request.jwt.claim.sub', true),
          -- A setting once set on a connection reads back as '' afterwards, not NULL.
          nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::pg_catalog.jsonb
            operator(pg_catalog.->>) 'sub'
        ), '')::pg_catalog.uuid
      $body$
    $fn$;
  end if;
end
$$;

-- SECURITY DEFINER: nothing in its path that anyone but its owner can write, every name qualified.
-- shipcheck-lint allow function-execute-public: replaces 024's function, and CREATE OR REPLACE keeps its grants (EXECUTE revoked from PUBLIC and anon in 006/024)
create or replace function public.is_organization_member(p_organization_id pg_catalog.uuid) returns pg_catalog.bool
language sql stable security definer
set search_path = pg_catalog, pg_temp
as $$
  select exists (
    select 1 from public.organization_members m
    where m.organization_id operator(pg_catalog.=) p_organization_id
      and m.user_id operator(pg_catalog.=) auth.uid()
  )
$$;

-- Migration 024's functions, unchanged but for the search_path and what "blank" means.
-- shipcheck-lint allow function-execute-public: replaces 024's function, and CREATE OR REPLACE keeps its grants (EXECUTE revoked from PUBLIC and anon in 006/024)
create or replace function public.atomic_update_user_behavior(
  p_organization_id   uuid,
  p_platform          text,
  p_platform_user_id  text,
  p_platform_username text,
  p_violation_data    jsonb
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
  -- Blank = nothing visible: [[:space:]], control characters, the Unicode spaces (Zs, Zl, Zp) and
  -- the format and filler characters that render as nothing (U+00AD, U+200B-U+200F, U+2060-U+206F,
  -- U+FEFF, variation selectors, tags, Hangul fillers, U+2800). Kept in step with migration 025's docs.
  c_blank constant text := '^[[:space:][:cntrl:]\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U0001d173-\U0001d17a\U000e0000-\U000e0fff]*$';
  c_blank_hint constant text := 'white space, zero-width and other invisible characters do not count';
  -- actions_taken keeps only the newest entries; keep in step with the COMMENT below and the docs.
  c_max_actions   constant integer := 100;
  c_max_data_size constant integer := 8192;
  c_max_tags      constant integer := 32;
  c_severities    constant text[]  := array['low', 'medium', 'high', 'critical'];
  c_known_keys    constant text[]  := array['severity', 'toxicity_score', 'comment_id', 'action_tags'];
  c_zero_counts   constant jsonb   := '{"low": 0, "medium": 0, "high": 0, "critical": 0}';
  v_unknown_keys  text[];
  v_severity      text;
  v_toxicity      numeric;
  v_comment_id    text;
  v_tags          jsonb;
  v_bad_tag       record;
  v_now           timestamptz := pg_catalog.now();
  v_entry         jsonb;
  v_result        jsonb;
begin
  -- The offender key.
  if p_organization_id is null then
    raise exception 'atomic_update_user_behavior: p_organization_id must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if p_platform is null then
    raise exception 'atomic_update_user_behavior: p_platform must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if pg_catalog.length(p_platform) not between 1 and 64 then
    raise exception 'atomic_update_user_behavior: p_platform must be 1 to 64 characters long (got %)',
      pg_catalog.length(p_platform)
      using errcode = 'invalid_parameter_value', hint = 'pass the platform name, e.g. twitter';
  end if;
  -- Only invisible characters would make an offender nobody can name (length alone lets '  ' and
  -- U+200B through): blank is c_blank's set, not just [[:space:]].
  if p_platform ~ c_blank then
    raise exception 'atomic_update_user_behavior: p_platform must not be blank'
      using errcode = 'invalid_parameter_value', hint = c_blank_hint;
  end if;
  if p_platform_user_id is null then
    raise exception 'atomic_update_user_behavior: p_platform_user_id must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if pg_catalog.length(p_platform_user_id) not between 1 and 256 then
    raise exception 'atomic_update_user_behavior: p_platform_user_id must be 1 to 256 characters long (got %)',
      pg_catalog.length(p_platform_user_id)
      using errcode = 'invalid_parameter_value';
  end if;
  if p_platform_user_id ~ c_blank then
    raise exception 'atomic_update_user_behavior: p_platform_user_id must not be blank'
      using errcode = 'invalid_parameter_value', hint = c_blank_hint;
  end if;
  if pg_catalog.length(p_platform_username) not between 1 and 256 then
    raise exception 'atomic_update_user_behavior: p_platform_username must be null or 1 to 256 characters long (got %)',
      pg_catalog.length(p_platform_username)
      using errcode = 'invalid_parameter_value', hint = 'pass null to keep the stored username';
  end if;

  -- The violation document: its shape first, then each field.
  if p_violation_data is null then
    raise exception 'atomic_update_user_behavior: p_violation_data must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if pg_catalog.jsonb_typeof(p_violation_data) <> 'object' then
    raise exception 'atomic_update_user_behavior: p_violation_data must be a JSON object (got %)',
      pg_catalog.jsonb_typeof(p_violation_data)
      using errcode = 'invalid_text_representation';
  end if;
  if pg_catalog.octet_length(p_violation_data::text) > c_max_data_size then
    raise exception 'atomic_update_user_behavior: p_violation_data is larger than % bytes (got % bytes as text)',
      c_max_data_size, pg_catalog.octet_length(p_violation_data::text)
      using errcode = 'invalid_parameter_value';
  end if;
  select pg_catalog.array_agg(k order by k) into v_unknown_keys
  from pg_catalog.jsonb_object_keys(p_violation_data) as k
  where k <> all (c_known_keys);
  if v_unknown_keys is not null then
    raise exception 'atomic_update_user_behavior: p_violation_data has unknown keys: %',
      pg_catalog.array_to_string(v_unknown_keys, ', ')
      using errcode = 'invalid_parameter_value',
            hint = 'allowed keys: severity, toxicity_score, comment_id, action_tags';
  end if;

  if pg_catalog.jsonb_typeof(p_violation_data -> 'severity') is distinct from 'string'
     or (p_violation_data ->> 'severity') <> all (c_severities) then
    raise exception 'atomic_update_user_behavior: p_violation_data.severity must be one of low, medium, high, critical'
      using errcode = 'invalid_parameter_value',
            detail = pg_catalog.format('got %s', coalesce(pg_catalog.left((p_violation_data -> 'severity')::text, 64), 'nothing'));
  end if;
  v_severity := p_violation_data ->> 'severity';

  case coalesce(pg_catalog.jsonb_typeof(p_violation_data -> 'toxicity_score'), 'null')
    when 'null' then
      v_toxicity := null;
    when 'number' then
      v_toxicity := (p_violation_data ->> 'toxicity_score')::numeric;
      if v_toxicity not between 0 and 1 then
        raise exception 'atomic_update_user_behavior: p_violation_data.toxicity_score must be between 0 and 1 (got %)',
          v_toxicity
          using errcode = 'invalid_parameter_value';
      end if;
    else
      raise exception 'atomic_update_user_behavior: p_violation_data.toxicity_score must be a number or null (got a JSON %)',
        pg_catalog.jsonb_typeof(p_violation_data -> 'toxicity_score')
        using errcode = 'invalid_text_representation';
  end case;

  case coalesce(pg_catalog.jsonb_typeof(p_violation_data -> 'comment_id'), 'null')
    when 'null' then
      raise exception 'atomic_update_user_behavior: p_violation_data.comment_id is required'
        using errcode = 'invalid_parameter_value';
    when 'string' then
      v_comment_id := p_violation_data ->> 'comment_id';
      if pg_catalog.length(v_comment_id) not between 1 and 256 then
        raise exception 'atomic_update_user_behavior: p_violation_data.comment_id must be 1 to 256 characters long (got %)',
          pg_catalog.length(v_comment_id)
          using errcode = 'invalid_parameter_value';
      end if;
    else
      raise exception 'atomic_update_user_behavior: p_violation_data.comment_id must be a string (got a JSON %)',
        pg_catalog.jsonb_typeof(p_violation_data -> 'comment_id')
        using errcode = 'invalid_text_representation';
  end case;

  v_tags := p_violation_data -> 'action_tags';
  case coalesce(pg_catalog.jsonb_typeof(v_tags), 'null')
    when 'null' then
      raise exception 'atomic_update_user_behavior: p_violation_data.action_tags is required (an array, possibly empty)'
        using errcode = 'invalid_parameter_value';
    when 'array' then
      null;
    else
      raise exception 'atomic_update_user_behavior: p_violation_data.action_tags must be an array of strings (got a JSON %)',
        pg_catalog.jsonb_typeof(v_tags)
        using errcode = 'invalid_text_representation';
  end case;
  if pg_catalog.jsonb_array_length(v_tags) > c_max_tags then
    raise exception 'atomic_update_user_behavior: p_violation_data.action_tags has more than % tags (got %)',
      c_max_tags, pg_catalog.jsonb_array_length(v_tags)
      using errcode = 'invalid_parameter_value';
  end if;
  select t.position - 1 as index, pg_catalog.jsonb_typeof(t.tag) as type, pg_catalog.length(t.tag #>> '{}') as length
    into v_bad_tag
  from pg_catalog.jsonb_array_elements(v_tags) with ordinality as t(tag, position)
  where pg_catalog.jsonb_typeof(t.tag) <> 'string' or pg_catalog.length(t.tag #>> '{}') not between 1 and 64
  order by t.position
  limit 1;
  if found and v_bad_tag.type <> 'string' then
    raise exception 'atomic_update_user_behavior: p_violation_data.action_tags[%] must be a string (got a JSON %)',
      v_bad_tag.index, v_bad_tag.type
      using errcode = 'invalid_text_representation';
  elsif found then
    raise exception 'atomic_update_user_behavior: p_violation_data.action_tags[%] must be 1 to 64 characters long (got %)',
      v_bad_tag.index, v_bad_tag.length
      using errcode = 'invalid_parameter_value';
  end if;

  v_entry := pg_catalog.jsonb_build_object(
    'timestamp', v_now,
    'comment_id', v_comment_id,
    'action_tags', v_tags,
    'severity', v_severity,
    'toxicity_score', v_toxicity
  );

  -- The one write. The row lock taken by ON CONFLICT serialises concurrent callers,
  -- and each DO UPDATE sees the latest committed row, so no increment is lost.
  insert into public.user_behaviors as ub (
    organization_id, platform, platform_user_id, platform_username,
    total_violations, severity_counts, actions_taken,
    first_seen_at, last_seen_at, last_violation_at, created_at, updated_at
  ) values (
    p_organization_id, p_platform, p_platform_user_id, p_platform_username,
    1, c_zero_counts || pg_catalog.jsonb_build_object(v_severity, 1), pg_catalog.jsonb_build_array(v_entry),
    v_now, v_now, v_now, v_now, v_now
  )
  on conflict (organization_id, platform, platform_user_id) do update set
    platform_username = coalesce(excluded.platform_username, ub.platform_username),
    total_violations  = ub.total_violations + 1,
    severity_counts   = pg_catalog.jsonb_set(
      c_zero_counts || ub.severity_counts,
      array[v_severity],
      pg_catalog.to_jsonb(coalesce((ub.severity_counts ->> v_severity)::integer, 0) + 1)
    ),
    -- The newest c_max_actions entries. Lax jsonpath clamps the range to the array,
    -- so a shorter array is kept whole; about half the cost of unnesting and re-aggregating.
    actions_taken     = pg_catalog.jsonb_path_query_array(
      ub.actions_taken || excluded.actions_taken,
      '$[last - $older to last]',
      pg_catalog.jsonb_build_object('older', c_max_actions - 1)
    ),
    last_seen_at      = excluded.last_seen_at,
    last_violation_at = excluded.last_violation_at,
    updated_at        = excluded.updated_at
  returning pg_catalog.jsonb_build_object(
    'user_id', ub.platform_user_id,
    'organization_id', ub.organization_id,
    'total_violations', ub.total_violations,
    'severity_counts', ub.severity_counts,
    'last_violation_at', ub.last_violation_at
  ) into v_result;

  return v_result;
end
$$;

comment on function public.atomic_update_user_behavior(uuid, text, text, text, jsonb) is
  'Shield M3 (migration 024): records one violation on an offender''s user_behaviors row in one '
  'INSERT … ON CONFLICT DO UPDATE. p_violation_data = {severity: low|medium|high|critical, '
  'toxicity_score: 0..1|null, comment_id: text (1-256), action_tags: text[] (<= 32, each 1-64)}, '
  'at most 8192 bytes. Increments total_violations and severity_counts, appends to actions_taken '
  'keeping only the newest 100 entries, sets last_violation_at/last_seen_at/updated_at. Returns '
  '{user_id, organization_id, total_violations, severity_counts, last_violation_at}. Bad input '
  'raises 22004/22P02/22023 and writes nothing. SECURITY INVOKER: RLS applies. Hardened by 025: search_path pg_catalog, pg_temp; '
  'ids of invisible characters only are blank (22023).';

-- shipcheck-lint allow function-execute-public: replaces 024's function, and CREATE OR REPLACE keeps its grants (EXECUTE revoked from PUBLIC and anon in 006/024)
create or replace function public.atomic_add_user_strike(
  p_organization_id   uuid,
  p_platform          text,
  p_platform_user_id  text,
  p_platform_username text,
  p_strikes           integer,
  p_reason            text
) returns jsonb
language plpgsql
volatile
security invoker
set search_path = pg_catalog, pg_temp
as $$
declare
  -- Blank = nothing visible: [[:space:]], control characters, the Unicode spaces (Zs, Zl, Zp) and
  -- the format and filler characters that render as nothing (U+00AD, U+200B-U+200F, U+2060-U+206F,
  -- U+FEFF, variation selectors, tags, Hangul fillers, U+2800). Kept in step with migration 025's docs.
  c_blank constant text := '^[[:space:][:cntrl:]\u00a0\u00ad\u034f\u061c\u115f\u1160\u1680\u180e\u2000-\u200f\u2028-\u202f\u205f-\u206f\u2800\u3000\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufffb\U0001d173-\U0001d17a\U000e0000-\U000e0fff]*$';
  c_blank_hint constant text := 'white space, zero-width and other invisible characters do not count';
  v_now    timestamptz := pg_catalog.now();
  v_result jsonb;
begin
  if p_organization_id is null then
    raise exception 'atomic_add_user_strike: p_organization_id must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if p_platform is null then
    raise exception 'atomic_add_user_strike: p_platform must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if pg_catalog.length(p_platform) not between 1 and 64 then
    raise exception 'atomic_add_user_strike: p_platform must be 1 to 64 characters long (got %)',
      pg_catalog.length(p_platform)
      using errcode = 'invalid_parameter_value', hint = 'pass the platform name, e.g. twitter';
  end if;
  -- Only invisible characters would make an offender nobody can name (length alone lets '  ' and
  -- U+200B through): blank is c_blank's set, not just [[:space:]].
  if p_platform ~ c_blank then
    raise exception 'atomic_add_user_strike: p_platform must not be blank'
      using errcode = 'invalid_parameter_value', hint = c_blank_hint;
  end if;
  if p_platform_user_id is null then
    raise exception 'atomic_add_user_strike: p_platform_user_id must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if pg_catalog.length(p_platform_user_id) not between 1 and 256 then
    raise exception 'atomic_add_user_strike: p_platform_user_id must be 1 to 256 characters long (got %)',
      pg_catalog.length(p_platform_user_id)
      using errcode = 'invalid_parameter_value';
  end if;
  if p_platform_user_id ~ c_blank then
    raise exception 'atomic_add_user_strike: p_platform_user_id must not be blank'
      using errcode = 'invalid_parameter_value', hint = c_blank_hint;
  end if;
  if pg_catalog.length(p_platform_username) not between 1 and 256 then
    raise exception 'atomic_add_user_strike: p_platform_username must be null or 1 to 256 characters long (got %)',
      pg_catalog.length(p_platform_username)
      using errcode = 'invalid_parameter_value', hint = 'pass null to keep the stored username';
  end if;
  if p_strikes is null then
    raise exception 'atomic_add_user_strike: p_strikes must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if p_strikes not in (1, 2) then
    raise exception 'atomic_add_user_strike: p_strikes must be 1 or 2 (got %)', p_strikes
      using errcode = 'invalid_parameter_value', hint = 'the add_strike_1 and add_strike_2 tags add 1 and 2';
  end if;
  -- The reason is not stored here (user_behaviors has no column for it): the audit
  -- trail is the shield_actions row the service writes. It is still required so
  -- every strike has one.
  if p_reason is null then
    raise exception 'atomic_add_user_strike: p_reason must not be null'
      using errcode = 'null_value_not_allowed';
  end if;
  if pg_catalog.length(p_reason) not between 1 and 256 then
    raise exception 'atomic_add_user_strike: p_reason must be 1 to 256 characters long (got %)',
      pg_catalog.length(p_reason)
      using errcode = 'invalid_parameter_value';
  end if;

  insert into public.user_behaviors as ub (
    organization_id, platform, platform_user_id, platform_username,
    strikes, first_seen_at, last_seen_at, last_strike_at, created_at, updated_at
  ) values (
    p_organization_id, p_platform, p_platform_user_id, p_platform_username,
    p_strikes, v_now, v_now, v_now, v_now, v_now
  )
  on conflict (organization_id, platform, platform_user_id) do update set
    platform_username = coalesce(excluded.platform_username, ub.platform_username),
    strikes           = ub.strikes + excluded.strikes,
    last_seen_at      = excluded.last_seen_at,
    last_strike_at    = excluded.last_strike_at,
    updated_at        = excluded.updated_at
  returning pg_catalog.jsonb_build_object(
    'user_id', ub.platform_user_id,
    'organization_id', ub.organization_id,
    'strikes', ub.strikes,
    'last_strike_at', ub.last_strike_at
  ) into v_result;

  return v_result;
end
$$;

comment on function public.atomic_add_user_strike(uuid, text, text, text, integer, text) is
  'Shield M3 (migration 024): adds p_strikes (1 or 2) to an offender''s user_behaviors.strikes in one '
  'INSERT … ON CONFLICT DO UPDATE and sets last_strike_at/last_seen_at/updated_at. p_reason (1-256 '
  'characters) is required but not stored here; the audit trail is shield_actions. Returns '
  '{user_id, organization_id, strikes, last_strike_at}. Bad input raises 22004/22023 and writes '
  'nothing. SECURITY INVOKER: RLS applies. Hardened by 025: search_path pg_catalog, pg_temp; '
  'ids of invisible characters only are blank (22023).';

-- Extensions out of public (advisor: extension_in_public). gen_random_uuid() is core since
-- PostgreSQL 13 and the column defaults point at pg_catalog's, so nothing here used pgcrypto's.
-- The schema gets no USAGE grant: no role needs pgcrypto; grant it when one does.
do $$
begin
  if pg_catalog.to_regnamespace('extensions') is null then
    create schema extensions;
    -- The revert drops the schema (and moves pgcrypto back) only when 025 made it.
    comment on schema extensions is 'created by shipcheck migration 025';
  end if;
  if exists (select 1 from pg_catalog.pg_extension
             where extname operator(pg_catalog.=) 'pgcrypto'
               and extnamespace operator(pg_catalog.=) 'public'::pg_catalog.regnamespace) then
    alter extension pgcrypto set schema extensions;
  end if;
end
$$;

-- Covering indexes for shield_jobs' foreign keys (advisor: unindexed_foreign_keys): deleting an
-- organization or a shield_actions row no longer scans the job table. Built in the migration's
-- transaction (SHARE lock: writes to shield_jobs wait for the build), fine at its size.
-- shipcheck-lint allow require-concurrent-index-creation, require-timeout-settings: shield_jobs holds queued jobs only (small); the migrate step sets lock_timeout
create index if not exists shield_jobs_organization_id_idx on public.shield_jobs (organization_id);
-- shipcheck-lint allow require-concurrent-index-creation: shield_jobs holds queued jobs only (small)
create index if not exists shield_jobs_shield_action_id_idx on public.shield_jobs (shield_action_id);

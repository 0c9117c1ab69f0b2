-- shipcheck demo --break: the pre-review draft of atomic_update_user_behavior.
--
-- Same signature, return type, SECURITY INVOKER and pinned search_path as migration 024,
-- and CREATE OR REPLACE keeps its grants: the verify script, the contract check and a
-- single manual call all pass. Its body is the read-modify-write migration 024 exists to
-- remove: it reads the counts, then writes back what it read plus one, so two callers
-- that overlap both write the same number and one violation is lost.
--
-- pg_sleep widens the gap between the read and the write to 50 ms so that a 5-caller
-- test catches the race on every run instead of now and then (in production the gap is
-- microseconds and the traffic does the rest).
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
set search_path = pg_catalog, public
as $$
declare
  v_severity text := coalesce(p_violation_data ->> 'severity', 'low');
  v_now      timestamptz := pg_catalog.now();
  v_row      public.user_behaviors;
  v_counts   jsonb;
begin
  insert into public.user_behaviors (organization_id, platform, platform_user_id, platform_username)
  values (p_organization_id, p_platform, p_platform_user_id, p_platform_username)
  on conflict (organization_id, platform, platform_user_id) do nothing;

  select * into v_row
  from public.user_behaviors
  where organization_id = p_organization_id and platform = p_platform and platform_user_id = p_platform_user_id;

  perform pg_catalog.pg_sleep(0.05);

  v_counts := pg_catalog.jsonb_set(
    v_row.severity_counts,
    array[v_severity],
    pg_catalog.to_jsonb(coalesce((v_row.severity_counts ->> v_severity)::integer, 0) + 1)
  );
  update public.user_behaviors set
    total_violations  = v_row.total_violations + 1,
    severity_counts   = v_counts,
    actions_taken     = v_row.actions_taken || pg_catalog.jsonb_build_array(p_violation_data),
    last_seen_at      = v_now,
    last_violation_at = v_now,
    updated_at        = v_now
  where id = v_row.id;

  return pg_catalog.jsonb_build_object(
    'user_id', p_platform_user_id,
    'organization_id', p_organization_id,
    'total_violations', v_row.total_violations + 1,
    'severity_counts', v_counts,
    'last_violation_at', v_now
  );
end
$$;

-- Verifies migration 024's contract; raises one error listing every problem found.
-- Run by `shipcheck db verify 024` inside a transaction that is rolled back.
do $$
declare
  v_expected constant jsonb := jsonb_build_array(
    jsonb_build_object(
      'signature', 'public.atomic_update_user_behavior(uuid, text, text, text, jsonb)',
      'name', 'atomic_update_user_behavior',
      'args', jsonb_build_array('p_organization_id', 'p_platform', 'p_platform_user_id',
                                'p_platform_username', 'p_violation_data')),
    jsonb_build_object(
      'signature', 'public.atomic_add_user_strike(uuid, text, text, text, integer, text)',
      'name', 'atomic_add_user_strike',
      'args', jsonb_build_array('p_organization_id', 'p_platform', 'p_platform_user_id',
                                'p_platform_username', 'p_strikes', 'p_reason'))
  );
  v_function   jsonb;
  v_signature  text;
  v_oid        oid;
  v_proc       record;
  v_overloads  integer;
  v_problems   text[] := '{}';
begin
  for v_function in select value from jsonb_array_elements(v_expected) loop
    v_signature := v_function ->> 'signature';
    v_oid := to_regprocedure(v_signature);

    select count(*) into v_overloads
    from pg_catalog.pg_proc p
    where p.pronamespace = 'public'::regnamespace and p.proname = v_function ->> 'name';
    if v_overloads > 1 then
      v_problems := v_problems || format('%s other overload(s) of public.%s exist; callers may reach the wrong one',
                                         v_overloads - 1, v_function ->> 'name');
    end if;

    if v_oid is null then
      v_problems := v_problems || format('%s does not exist', v_signature);
      continue;
    end if;

    select p.proargnames, p.proargmodes, p.prorettype, p.proretset, p.prosecdef, p.proconfig, p.proowner, p.proacl
      into v_proc
    from pg_catalog.pg_proc p where p.oid = v_oid;

    if v_proc.proargnames is distinct from array(select jsonb_array_elements_text(v_function -> 'args'))
       or v_proc.proargmodes is not null then
      v_problems := v_problems || format('%s has arguments %s, expected %s (all IN)',
                                         v_signature, coalesce(v_proc.proargnames::text, 'unnamed'),
                                         v_function -> 'args');
    end if;
    if v_proc.prorettype <> 'jsonb'::regtype or v_proc.proretset then
      v_problems := v_problems || format('%s returns %s%s, expected jsonb', v_signature,
                                         case when v_proc.proretset then 'setof ' else '' end,
                                         v_proc.prorettype::regtype);
    end if;
    if v_proc.prosecdef then
      v_problems := v_problems || format('%s is SECURITY DEFINER, expected SECURITY INVOKER (RLS must apply)', v_signature);
    end if;
    -- 024 pins "pg_catalog, public"; migration 025 hardens it to "pg_catalog, pg_temp" (docs/security.md).
    if not coalesce(v_proc.proconfig && array['search_path=pg_catalog, public', 'search_path=pg_catalog, pg_temp'], false) then
      v_problems := v_problems || format('%s does not pin search_path to "pg_catalog, public" (024) or "pg_catalog, pg_temp" (025) (config: %s)',
                                         v_signature, coalesce(v_proc.proconfig::text, 'none'));
    end if;
    if not has_function_privilege('authenticated', v_oid, 'EXECUTE') then
      v_problems := v_problems || format('authenticated cannot EXECUTE %s', v_signature);
    end if;
    if not has_function_privilege('service_role', v_oid, 'EXECUTE') then
      v_problems := v_problems || format('service_role cannot EXECUTE %s', v_signature);
    end if;
    if has_function_privilege('anon', v_oid, 'EXECUTE') then
      v_problems := v_problems || format('anon can EXECUTE %s', v_signature);
    end if;
    -- A NULL ACL means the default one, which grants EXECUTE to PUBLIC (grantee 0).
    if has_function_privilege('public', v_oid, 'EXECUTE')
       or exists (select 1 from aclexplode(coalesce(v_proc.proacl, acldefault('f', v_proc.proowner))) a
                  where a.grantee = 0 and a.privilege_type = 'EXECUTE') then
      v_problems := v_problems || format('PUBLIC can EXECUTE %s', v_signature);
    end if;
  end loop;

  if cardinality(v_problems) > 0 then
    raise exception 'migration 024 is not in place: %', array_to_string(v_problems, '; ')
      using hint = 'run `shipcheck db migrate --to 024`, or revoke the extra grants and re-run `shipcheck db verify 024`';
  end if;
end
$$;

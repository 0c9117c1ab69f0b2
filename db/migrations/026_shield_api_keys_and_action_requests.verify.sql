-- Verifies migration 026's contract; raises one error listing every problem found.
-- Run by `shipcheck db verify 026` inside a transaction that is rolled back.
do $$
declare
  v_signature constant text := 'public.shield_record_action(uuid, text, text, text, jsonb, jsonb, jsonb, text, text)';
  v_oid       oid := pg_catalog.to_regprocedure(v_signature);
  v_proc      record;
  v_table     text;
  v_problems  text[] := '{}';
begin
  foreach v_table in array array['public.shield_api_keys', 'public.shield_action_requests'] loop
    if pg_catalog.to_regclass(v_table) is null then
      v_problems := v_problems || format('table %s does not exist', v_table);
      continue;
    end if;
    if not (select c.relrowsecurity from pg_catalog.pg_class c where c.oid = pg_catalog.to_regclass(v_table)) then
      v_problems := v_problems || format('row-level security is off on %s', v_table);
    end if;
    if pg_catalog.has_table_privilege('anon', v_table, 'SELECT')
       or pg_catalog.has_table_privilege('authenticated', v_table, 'SELECT') then
      v_problems := v_problems || format('anon or authenticated can read %s', v_table);
    end if;
  end loop;

  if v_oid is null then
    v_problems := v_problems || format('%s does not exist', v_signature);
  else
    select p.prorettype, p.proretset, p.prosecdef, p.proconfig, p.proowner, p.proacl into v_proc
      from pg_catalog.pg_proc p where p.oid = v_oid;
    if v_proc.prorettype <> 'jsonb'::regtype or v_proc.proretset then
      v_problems := v_problems || format('%s does not return jsonb', v_signature);
    end if;
    if v_proc.prosecdef then
      v_problems := v_problems || format('%s is SECURITY DEFINER, expected SECURITY INVOKER', v_signature);
    end if;
    if not coalesce('search_path=pg_catalog, pg_temp' = any (v_proc.proconfig), false) then
      v_problems := v_problems || format('%s does not pin search_path to "pg_catalog, pg_temp" (config: %s)',
                                         v_signature, coalesce(v_proc.proconfig::text, 'none'));
    end if;
    if not pg_catalog.has_function_privilege('service_role', v_oid, 'EXECUTE') then
      v_problems := v_problems || format('service_role cannot EXECUTE %s', v_signature);
    end if;
    if pg_catalog.has_function_privilege('anon', v_oid, 'EXECUTE') then
      v_problems := v_problems || format('anon can EXECUTE %s', v_signature);
    end if;
    if exists (select 1 from pg_catalog.aclexplode(coalesce(v_proc.proacl, pg_catalog.acldefault('f', v_proc.proowner))) a
               where a.grantee = 0 and a.privilege_type = 'EXECUTE') then
      v_problems := v_problems || format('PUBLIC can EXECUTE %s', v_signature);
    end if;
  end if;

  if cardinality(v_problems) > 0 then
    raise exception 'migration 026 is not in place: %', array_to_string(v_problems, '; ')
      using hint = 'run `shipcheck db migrate --to 026` and re-run `shipcheck db verify 026`';
  end if;
end
$$;

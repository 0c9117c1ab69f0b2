-- Verifies migration 025; raises one error listing every problem found.
-- Run by `shipcheck db verify 025` inside a transaction that is rolled back.
do $$
declare
  v_hardened  constant text[] := array['search_path=pg_catalog, pg_temp'];
  v_exact     constant text[] := array[
    'public.is_organization_member(uuid)',
    'public.atomic_update_user_behavior(uuid, text, text, text, jsonb)',
    'public.atomic_add_user_strike(uuid, text, text, text, integer, text)'
  ];
  v_function  text;
  v_proc      record;
  v_problems  text[] := '{}';
begin
  -- Every function of Shield's schemas (public, auth), extensions' members aside: a SET
  -- search_path with pg_temp named last. Supabase's own auth.uid() (no SET at all) runs with its
  -- caller's path, so a function without SET is accepted in auth only.
  for v_proc in
    select format('%s.%s(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as signature, n.nspname, p.proconfig,
           (select c from unnest(p.proconfig) as c where c like 'search_path=%') as path
    from pg_catalog.pg_proc p
    join pg_catalog.pg_namespace n on n.oid = p.pronamespace
    where n.nspname in ('public', 'auth')
      and not exists (select 1 from pg_catalog.pg_depend d
                      where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
      -- Checked one by one below.
      and p.oid not in (select to_regprocedure(f) from unnest(v_exact) as f where to_regprocedure(f) is not null)
    order by 1
  loop
    if v_proc.path is null then
      if v_proc.nspname <> 'auth' then
        v_problems := v_problems || format('%s sets no search_path', v_proc.signature);
      end if;
    elsif v_proc.path !~ ', pg_temp$' then
      v_problems := v_problems || format('%s has %s: pg_temp is not named last, so it is searched first for types',
                                         v_proc.signature, v_proc.path);
    end if;
  end loop;

  -- The functions 025 re-creates: exactly pg_catalog, pg_temp (no schema anyone else can write).
  foreach v_function in array v_exact loop
    select p.proconfig, p.prosecdef into v_proc from pg_catalog.pg_proc p where p.oid = to_regprocedure(v_function);
    if not found then
      v_problems := v_problems || format('%s does not exist', v_function);
    elsif v_proc.proconfig is distinct from v_hardened then
      v_problems := v_problems || format('%s has config %s, expected %s', v_function,
                                         coalesce(v_proc.proconfig::text, 'none'), v_hardened::text);
    end if;
  end loop;

  -- "Blank" means nothing visible: an id of U+00A0 and U+200B is refused with 22023, before any write.
  begin
    perform public.atomic_update_user_behavior(gen_random_uuid(), 'twitter', e'\u00a0\u200b\ufeff', null,
      '{"severity": "low", "comment_id": "verify-025", "action_tags": []}');
    v_problems := v_problems || 'atomic_update_user_behavior accepted a platform user id of invisible characters'::text;
  exception
    when invalid_parameter_value then null;
    -- The made-up organization stops the write: the id got past every check.
    when foreign_key_violation then
      v_problems := v_problems || 'atomic_update_user_behavior accepted a platform user id of invisible characters'::text;
    when others then
      v_problems := v_problems || format('atomic_update_user_behavior answered %s (%s) to an invisible user id, expected 22023',
                                         sqlstate, sqlerrm);
  end;
  begin
    perform public.atomic_add_user_strike(gen_random_uuid(), e'\u2060\u3000', 'verify-025', null, 1, 'verify');
    v_problems := v_problems || 'atomic_add_user_strike accepted a platform of invisible characters'::text;
  exception
    when invalid_parameter_value then null;
    -- The made-up organization stops the write: the id got past every check.
    when foreign_key_violation then
      v_problems := v_problems || 'atomic_add_user_strike accepted a platform of invisible characters'::text;
    when others then
      v_problems := v_problems || format('atomic_add_user_strike answered %s (%s) to an invisible platform, expected 22023',
                                         sqlstate, sqlerrm);
  end;

  if exists (select 1 from pg_catalog.pg_extension where extname = 'pgcrypto' and extnamespace = 'public'::regnamespace) then
    v_problems := v_problems || 'pgcrypto is installed in schema public'::text;
  end if;

  -- Each foreign key of shield_jobs has an index that starts with its column.
  for v_proc in
    select c.conname, a.attname
    from pg_catalog.pg_constraint c
    join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = c.conkey[1]
    where c.conrelid = 'public.shield_jobs'::regclass and c.contype = 'f'
      and not exists (select 1 from pg_catalog.pg_index i
                      where i.indrelid = c.conrelid and i.indkey[0] = c.conkey[1])
  loop
    v_problems := v_problems || format('foreign key %s (shield_jobs.%s) has no covering index', v_proc.conname, v_proc.attname);
  end loop;

  if cardinality(v_problems) > 0 then
    raise exception 'migration 025 is not in place: %', array_to_string(v_problems, '; ')
      using hint = 'run `shipcheck db migrate --to 025`, then `shipcheck db verify 025`';
  end if;
end
$$;

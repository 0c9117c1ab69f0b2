-- Supabase's roles and auth.uid(), created only when absent, so the same files
-- run on plain PostgreSQL and on Supabase.
do $$
declare
  r text;
begin
  foreach r in array array['anon', 'authenticated', 'service_role'] loop
    if not exists (select 1 from pg_roles where rolname = r) then
      begin
        execute format('create role %I nologin', r);
      exception
        -- Roles are cluster-wide: a parallel migration of another database may have just made it.
        when duplicate_object or unique_violation then null;
      end;
    end if;
  end loop;
end
$$;

-- service_role bypasses RLS on Supabase; on plain PostgreSQL only a superuser can grant that.
do $$
begin
  if (select rolsuper from pg_roles where rolname = current_user)
     and not (select rolbypassrls from pg_roles where rolname = 'service_role') then
    alter role service_role bypassrls;
  end if;
end
$$;

create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role;

-- Supabase defines auth.uid(); the shim reads the same request settings PostgREST sets.
do $$
begin
  if to_regprocedure('auth.uid()') is null then
    execute $fn$
      create function auth.uid() returns uuid
      language sql stable
      set search_path = pg_catalog
      as $body$
        select nullif(coalesce(
          current_setting('request.jwt.claim.sub', true),
          -- A setting once set on a connection reads back as '' afterwards, not NULL.
          nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'
        ), '')::uuid
      $body$
    $fn$;
  end if;
end
$$;

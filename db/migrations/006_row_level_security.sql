-- Least privilege: nothing for PUBLIC or anon; authenticated sees its own organizations
-- through RLS; service_role (the Shield service) works across organizations.
revoke all on public.organizations, public.organization_members, public.user_behaviors,
  public.shield_actions, public.shield_jobs from public, anon;

grant usage on schema public to authenticated, service_role;
grant select on public.organizations, public.organization_members to authenticated;
grant select, insert, update on public.user_behaviors to authenticated;
grant select, insert on public.shield_actions to authenticated;
grant select, insert, update, delete on public.organizations, public.organization_members,
  public.user_behaviors, public.shield_actions, public.shield_jobs to service_role;

alter table public.organizations enable row level security;
alter table public.organization_members enable row level security;
alter table public.user_behaviors enable row level security;
alter table public.shield_actions enable row level security;
alter table public.shield_jobs enable row level security;

-- SECURITY DEFINER so the membership lookup itself is not subject to RLS (no policy recursion).
create function public.is_organization_member(p_organization_id uuid) returns boolean
language sql stable security definer
set search_path = pg_catalog, public, pg_temp
as $$
  select exists (
    select 1 from public.organization_members m
    where m.organization_id = p_organization_id and m.user_id = auth.uid()
  )
$$;
revoke execute on function public.is_organization_member(uuid) from public, anon;
grant execute on function public.is_organization_member(uuid) to authenticated, service_role;

create policy organizations_member_read on public.organizations
  for select to authenticated using (public.is_organization_member(id));
create policy organization_members_member_read on public.organization_members
  for select to authenticated using (public.is_organization_member(organization_id));
create policy user_behaviors_member_all on public.user_behaviors
  for all to authenticated
  using (public.is_organization_member(organization_id))
  with check (public.is_organization_member(organization_id));
create policy shield_actions_member_read on public.shield_actions
  for select to authenticated using (public.is_organization_member(organization_id));
create policy shield_actions_member_insert on public.shield_actions
  for insert to authenticated with check (public.is_organization_member(organization_id));
create policy service_role_all_organizations on public.organizations
  for all to service_role using (true) with check (true);
create policy service_role_all_members on public.organization_members
  for all to service_role using (true) with check (true);
create policy service_role_all_behaviours on public.user_behaviors
  for all to service_role using (true) with check (true);
create policy service_role_all_actions on public.shield_actions
  for all to service_role using (true) with check (true);
create policy service_role_all_jobs on public.shield_jobs
  for all to service_role using (true) with check (true);

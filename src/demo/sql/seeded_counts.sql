select (select count(*) from public.organizations)::int as organizations,
       (select count(*) from public.organization_members)::int as members,
       (select count(*) from public.user_behaviors)::int as behaviours,
       (select count(*) from public.shield_actions)::int as actions

-- Shield data for the demo, so backups and restores carry real rows: the test
-- organization the checklist's manual RPC test writes under, three communities,
-- three members each, 75 offenders per organization with a consistent history
-- (total_violations = the sum of severity_counts = the actions recorded for them).
insert into public.organizations (id, name)
values ('00000000-0000-0000-0000-000000000001', 'shipcheck test organization')
on conflict (id) do nothing;

insert into public.organizations (name)
select 'Demo community ' || n from generate_series(1, 3) as n;

insert into public.organization_members (organization_id, user_id, role)
select o.id, gen_random_uuid(), (array['owner', 'admin', 'member'])[m]
from public.organizations o cross join generate_series(1, 3) as m;

with offenders as (
  select o.id as organization_id,
         (array['twitter', 'discord', 'twitch', 'youtube'])[1 + n % 4] as platform,
         'seed_user_' || n as platform_user_id,
         n % 3 as low, n % 2 as medium, (n % 5 = 0)::int as high, (n % 25 = 0)::int as critical
  from public.organizations o cross join generate_series(1, 75) as n
)
insert into public.user_behaviors (
  organization_id, platform, platform_user_id, platform_username,
  total_violations, severity_counts, strikes, last_violation_at
)
select organization_id, platform, platform_user_id, platform_user_id,
       low + medium + high + critical,
       jsonb_build_object('low', low, 'medium', medium, 'high', high, 'critical', critical),
       high + critical,
       case when low + medium + high + critical > 0 then now() - interval '1 day' end
from offenders;

-- One hide action per recorded violation, as the pre-024 service wrote them.
insert into public.shield_actions (
  organization_id, platform, platform_user_id, platform_username,
  comment_id, action_tag, severity, offense_level, status
)
select ub.organization_id, ub.platform, ub.platform_user_id, ub.platform_username,
       ub.platform_user_id || '-c' || v, 'hide_comment', 'medium',
       case when v = 1 then 'first' else 'repeat' end, 'recorded'
from public.user_behaviors ub cross join lateral generate_series(1, ub.total_violations) as v;

-- What a migration can create or change, keyed so two snapshots compare by key:
-- functions, tables, columns, indexes and policies outside the system and history schemas.
with user_schemas as (
  select oid, nspname from pg_namespace
  where nspname not in ('pg_catalog', 'information_schema', 'pg_toast', 'shipcheck', 'supabase_migrations')
    and nspname not like 'pg_temp_%' and nspname not like 'pg_toast_temp_%'
)
select 'function' as kind,
       format('%s.%s(%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)) as key,
       jsonb_build_object(
         'schema', n.nspname,
         'name', p.proname,
         -- Schema-qualified whatever the search_path: the generated DROP FUNCTION must name this one.
         'regprocedure', format('%I.%I(%s)', n.nspname, p.proname,
                                coalesce((select string_agg(format_type(t, null), ',' order by i)
                                          from unnest(p.proargtypes::oid[]) with ordinality as a(t, i)), '')),
         'argument_types', coalesce((select jsonb_agg(format_type(t, null) order by i)
                                     from unnest(p.proargtypes::oid[]) with ordinality as a(t, i)), '[]'::jsonb),
         'argument_names', to_jsonb(coalesce(p.proargnames, '{}'::text[])),
         'returns', format_type(p.prorettype, null),
         'returns_set', p.proretset,
         'security', case when p.prosecdef then 'definer' else 'invoker' end,
         'config', to_jsonb(coalesce(p.proconfig, '{}'::text[])),
         'execute_grantees', coalesce((select jsonb_agg(distinct case when a.grantee = 0 then 'PUBLIC' else pg_get_userbyid(a.grantee) end)
                                       from aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
                                       where a.privilege_type = 'EXECUTE' and a.grantee <> p.proowner), '[]'::jsonb),
         'body', md5(p.prosrc)
       ) as detail,
       -- OIDs are handed out in creation order (barring wrap-around): what was created later may
       -- depend on what came before, never the reverse, so the revert drops in descending order.
       p.oid::int8 as created_order
from pg_proc p join user_schemas n on n.oid = p.pronamespace
where p.prokind in ('f', 'p')
  and not exists (select 1 from pg_depend d where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e')
union all
select 'table', format('%s.%s', n.nspname, c.relname),
       jsonb_build_object('schema', n.nspname, 'name', c.relname, 'rls', c.relrowsecurity,
                          'acl', to_jsonb(coalesce(c.relacl::text[], '{}'::text[]))),
       c.oid::int8
from pg_class c join user_schemas n on n.oid = c.relnamespace
where c.relkind in ('r', 'p')
union all
select 'column', format('%s.%s.%s', n.nspname, c.relname, a.attname),
       jsonb_build_object('table', format('%s.%s', n.nspname, c.relname), 'name', a.attname,
                          'type', format_type(a.atttypid, a.atttypmod), 'not_null', a.attnotnull,
                          'default', pg_get_expr(d.adbin, d.adrelid)),
       null::int8
from pg_attribute a
join pg_class c on c.oid = a.attrelid and c.relkind in ('r', 'p')
join user_schemas n on n.oid = c.relnamespace
left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
where a.attnum > 0 and not a.attisdropped
union all
select 'index', format('%s.%s', n.nspname, i.relname),
       jsonb_build_object('table', format('%s.%s', n.nspname, t.relname), 'name', i.relname,
                          'definition', pg_get_indexdef(i.oid),
                          'constraint', exists (select 1 from pg_constraint k where k.conindid = i.oid)),
       i.oid::int8
from pg_index x
join pg_class i on i.oid = x.indexrelid
join pg_class t on t.oid = x.indrelid
join user_schemas n on n.oid = i.relnamespace
union all
select 'policy', format('%s.%s.%s', n.nspname, c.relname, p.polname),
       jsonb_build_object('table', format('%s.%s', n.nspname, c.relname), 'name', p.polname,
                          'command', p.polcmd, 'roles', to_jsonb(p.polroles::regrole[]::text[]),
                          'using', pg_get_expr(p.polqual, p.polrelid), 'check', pg_get_expr(p.polwithcheck, p.polrelid)),
       p.oid::int8
from pg_policy p
join pg_class c on c.oid = p.polrelid
join user_schemas n on n.oid = c.relnamespace
order by 1, 2

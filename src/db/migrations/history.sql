create schema if not exists shipcheck;
revoke all on schema shipcheck from public;
create table if not exists shipcheck.migrations (
  source      text not null default 'shield',
  id          text not null,
  name        text not null,
  checksum    text not null,
  applied_at  timestamptz not null default now(),
  applied_by  text not null default current_user,
  primary key (source, id)
);
-- A history written before migrations were namespaced by source held only Shield's own.
do $$
begin
  if not exists (select 1 from pg_catalog.pg_attribute
                 where attrelid = 'shipcheck.migrations'::regclass and attname = 'source' and not attisdropped) then
    alter table shipcheck.migrations add column source text not null default 'shield';
    alter table shipcheck.migrations drop constraint migrations_pkey;
    alter table shipcheck.migrations add primary key (source, id);
  end if;
end
$$;

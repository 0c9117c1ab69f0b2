create schema if not exists shipcheck;
revoke all on schema shipcheck from public;
create table if not exists shipcheck.migrations (
  id          text primary key,
  name        text not null,
  checksum    text not null,
  applied_at  timestamptz not null default now(),
  applied_by  text not null default current_user
);

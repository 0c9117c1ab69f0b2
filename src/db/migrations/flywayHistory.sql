-- Flyway's schema history table as Flyway creates it on PostgreSQL (PostgreSQLDatabase.getRawCreateScript),
-- in the default schema Flyway uses (public), so Flyway reads shipcheck's rows and shipcheck reads Flyway's.
create table if not exists public.flyway_schema_history (
  installed_rank integer not null,
  version varchar(50),
  description varchar(200) not null,
  type varchar(20) not null,
  script varchar(1000) not null,
  checksum integer,
  installed_by varchar(100) not null,
  installed_on timestamp not null default now(),
  execution_time integer not null,
  success boolean not null,
  constraint flyway_schema_history_pk primary key (installed_rank)
);
create index if not exists flyway_schema_history_s_idx on public.flyway_schema_history (success);

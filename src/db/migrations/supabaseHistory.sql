-- The Supabase CLI's own history table, created as the CLI creates it (pkg/migration/history.go):
-- a later `supabase db push` / `supabase migration list` reads the rows shipcheck writes.
create schema if not exists supabase_migrations;
create table if not exists supabase_migrations.schema_migrations (version text not null primary key);
alter table supabase_migrations.schema_migrations add column if not exists statements text[];
alter table supabase_migrations.schema_migrations add column if not exists name text;

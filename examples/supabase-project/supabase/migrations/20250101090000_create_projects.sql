-- A small task tracker: projects and their tasks.
create table public.projects (
  id uuid primary key default gen_random_uuid(),
  name text not null
);

create table public.tasks (
  id uuid primary key default gen_random_uuid(),
  project_id uuid not null references public.projects (id),
  title text not null,
  done boolean not null default false
);

alter table public.projects enable row level security;
alter table public.tasks enable row level security;

-- Idempotent, and safe when two operators run it at once.
insert into public.organizations (id, name)
values ($1, $2)
on conflict (id) do nothing

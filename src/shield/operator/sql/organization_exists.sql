select exists (select 1 from public.organizations where id = $1) as exists

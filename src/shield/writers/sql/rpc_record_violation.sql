-- One round trip: the increment happens inside one INSERT … ON CONFLICT DO UPDATE (migration 024).
select public.atomic_update_user_behavior($1, $2, $3, $4, $5::jsonb) as result

-- One round trip: strikes = strikes + n inside the database (migration 024).
select public.atomic_add_user_strike($1, $2, $3, $4, $5, $6) as result

-- The idempotency ledger's size, and how many rows a purge with cutoff $1 would delete.
select
  count(*)::bigint as total,
  count(*) filter (where created_at < $1::timestamptz)::bigint as older,
  min(created_at) as oldest
from public.shield_action_requests

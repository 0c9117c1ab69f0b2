-- One batch of the idempotency ledger's purge (requestLedger.ts): rows older than the
-- cutoff, at most $2 of them, skipping rows a running action holds. Each batch is its own
-- short transaction, so the API's writes to the ledger never wait long behind a purge.
-- $1 cutoff (timestamptz), $2 batch size.
with doomed as (
  select r.organization_id, r.request_key
  from public.shield_action_requests r
  where r.created_at < $1::timestamptz
  limit $2
  for update skip locked
)
delete from public.shield_action_requests r
using doomed d
where r.organization_id = d.organization_id and r.request_key = d.request_key

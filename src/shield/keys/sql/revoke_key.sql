-- Revokes a key once; revoking it again keeps the first time. $1 id.
update public.shield_api_keys
set revoked_at = coalesce(revoked_at, now())
where id = $1
returning id, organization_id::text as organization_id, scopes, label, created_at, revoked_at

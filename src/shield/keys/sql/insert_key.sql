-- A new API key: only the SHA-256 of its secret is stored. $1 id, $2 organization, $3 hash, $4 scopes, $5 label.
insert into public.shield_api_keys (id, organization_id, secret_sha256, scopes, label)
values ($1, $2::uuid, $3, $4::text[], $5)
returning id, organization_id::text as organization_id, scopes, label, created_at, revoked_at

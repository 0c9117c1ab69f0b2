-- What the API needs to check one presented key. $1 id.
select organization_id::text as organization_id, secret_sha256, scopes, revoked_at is not null as revoked
from public.shield_api_keys
where id = $1

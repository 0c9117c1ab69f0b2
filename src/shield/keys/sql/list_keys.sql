-- Keys, newest first; $1 an organization or null for all. Never the hash.
select id, organization_id::text as organization_id, scopes, label, created_at, revoked_at
from public.shield_api_keys
where $1::uuid is null or organization_id = $1::uuid
order by created_at desc, id

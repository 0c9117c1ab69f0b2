-- Whether migration 026's API key table is there (shield serve --api-keys needs it).
select to_regclass('public.shield_api_keys') is not null as present

-- Only the claimant finishes a job: a job no longer 'running' was reclaimed or settled elsewhere.
update public.shield_jobs
set status = 'done', last_error = null, updated_at = now()
where id = $1::bigint and status = 'running'
returning id::text

-- A failed attempt: back to 'queued' with exponential backoff ($4 seconds × 2^(attempts-1)),
-- or 'failed' for good once $3 attempts are spent. The error is kept either way.
-- $1 job id, $2 error message, $3 max attempts, $4 base backoff seconds, $5 the claimant's
-- organization id: a job of another organization is never touched.
update public.shield_jobs
set
  status = case when attempts >= $3::integer then 'failed' else 'queued' end,
  last_error = $2::text,
  run_after = case
    when attempts >= $3::integer then run_after
    else now() + make_interval(secs => $4::double precision * power(2, attempts - 1))
  end,
  updated_at = now()
where id = $1::bigint and organization_id = $5::uuid and status = 'running'
returning id::text, status, attempts, run_after

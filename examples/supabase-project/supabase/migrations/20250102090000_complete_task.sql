-- Marks a task done and returns its project's progress.
-- Written with the classic faults of a SECURITY DEFINER function, for shipcheck to catch:
--   * EXECUTE is never revoked from PUBLIC, so anon (every visitor) can call it;
--   * no SET search_path, so the caller's search_path decides what "tasks" means.
alter table public.tasks add column completed_at timestamptz;
create index tasks_completed_at on public.tasks (completed_at);

create function public.complete_task(p_task_id uuid)
returns jsonb
language plpgsql
security definer
as $$
declare
  v_project uuid;
begin
  update tasks set done = true, completed_at = now() where id = p_task_id returning project_id into v_project;
  return jsonb_build_object(
    'project_id', v_project,
    'done', (select count(*) from tasks where project_id = v_project and done),
    'total', (select count(*) from tasks where project_id = v_project)
  );
end;
$$;

grant execute on function public.complete_task(uuid) to authenticated;

-- Moves money between two accounts in one statement each, and records the transfer.
create table public.transfers (
  id bigint generated always as identity primary key,
  from_account bigint not null references public.accounts (id),
  to_account bigint not null references public.accounts (id),
  amount numeric(12, 2) not null check (amount > 0),
  at timestamptz not null default now()
);

create function public.transfer(p_from bigint, p_to bigint, p_amount numeric)
returns bigint
language sql
security invoker
set search_path = public, pg_temp
as $$
  update public.accounts set balance = balance - p_amount where id = p_from;
  update public.accounts set balance = balance + p_amount where id = p_to;
  insert into public.transfers (from_account, to_account, amount) values (p_from, p_to, p_amount) returning id;
$$;

revoke execute on function public.transfer(bigint, bigint, numeric) from public;

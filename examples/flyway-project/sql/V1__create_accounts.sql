-- Accounts with a balance.
create table public.accounts (
  id bigint generated always as identity primary key,
  owner text not null,
  balance numeric(12, 2) not null default 0
);

drop function if exists public.transfer(bigint, bigint, numeric);
drop table if exists public.transfers;

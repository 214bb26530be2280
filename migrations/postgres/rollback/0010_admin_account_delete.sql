-- Undo 0010_admin_account_delete.
create or replace function payment_system_logs_append_only() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception 'payment_system_logs is append-only' using errcode = 'restrict_violation';
end;
$$;

drop table account_deletions;

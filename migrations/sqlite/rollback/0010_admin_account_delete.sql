-- Undo 0010_admin_account_delete.
drop trigger payment_system_logs_append_only_delete;

create trigger payment_system_logs_append_only_delete
before delete on payment_system_logs
begin
  select raise(abort, 'payment_system_logs is append-only');
end;

drop table account_deletions;

-- Deleting a whole account (`vesta-sql account delete`, run by the owner): the one way past
-- the payment system log's append-only rule. The admin command records the account here,
-- deletes every row of the account, then this record, all in one transaction; a delete
-- on the log without such a record is refused as before. Updates stay refused.
create table account_deletions (
  account_id text not null,
  id text not null,
  created_at text not null,
  primary key (account_id, id)
);

drop trigger payment_system_logs_append_only_delete;

create trigger payment_system_logs_append_only_delete
before delete on payment_system_logs
when not exists (select 1 from account_deletions d where d.account_id = old.account_id)
begin
  select raise(abort, 'payment_system_logs is append-only');
end;

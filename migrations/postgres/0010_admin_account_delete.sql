-- Deleting a whole account (`vesta-sql account delete`, run by the owner): the one way past
-- the payment system log's append-only rule. The admin command records the account here,
-- deletes every row of the account, then this record, all in one transaction. A delete on
-- the log passes only when such a record exists AND the deleting role is (a member of) the
-- table's owner: the app role, which owns nothing, stays refused even if it wrote a record.
-- Updates stay refused.
create table account_deletions (
  account_id text not null,
  id text not null,
  created_at timestamptz not null,
  primary key (account_id, id)
);

alter table account_deletions enable row level security;
alter table account_deletions force row level security;
create policy tenant_isolation on account_deletions
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

create or replace function payment_system_logs_append_only() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
  permitted boolean := false;
begin
  if tg_op = 'DELETE'
     and pg_has_role(current_user, (select c.relowner from pg_class c where c.oid = tg_relid), 'MEMBER') then
    execute format('select exists (select 1 from %I.account_deletions where account_id = $1)', tg_table_schema)
      into permitted
      using old.account_id;
    if permitted then
      return old;
    end if;
  end if;
  raise exception 'payment_system_logs is append-only' using errcode = 'restrict_violation';
end;
$$;

-- name: get(account_id)^
-- record_class: PaymentSettings
-- The account's payment settings, or None if it has none yet.
select ps.id, ps.account_id, ps.default_currency, ps.payout_schedule, ps.statement_descriptor,
       ps.created_at, ps.updated_at
  from payment_settings ps
 where ps.account_id = :account_id;

-- name: upsert(account_id, id, default_currency, payout_schedule, statement_descriptor, now)<!
-- record_class: PaymentSettings
-- Create or replace the account's payment settings (one row per account).
-- param: id new_id
-- param: default_currency str
-- param: payout_schedule str in ('daily', 'weekly', 'monthly')
-- param: statement_descriptor str? = none
-- param: now now
insert into payment_settings (
  account_id, id, default_currency, payout_schedule, statement_descriptor, created_at, updated_at
)
values (
  :account_id, :id, :default_currency, :payout_schedule, :statement_descriptor, :now, :now
)
on conflict (account_id) do update
  set default_currency = excluded.default_currency,
      payout_schedule = excluded.payout_schedule,
      statement_descriptor = excluded.statement_descriptor,
      updated_at = excluded.updated_at
returning id, account_id, default_currency, payout_schedule, statement_descriptor,
          created_at, updated_at;

-- name: delete(account_id)!
-- Remove the account's payment settings; returns the number of rows removed (0 or 1).
delete from payment_settings
 where account_id = :account_id;

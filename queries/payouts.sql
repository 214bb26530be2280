-- name: create(account_id, id, recipient_id, amount, currency, now)<!
-- record_class: Payout
-- Create a pending payout to a recipient.
-- param: id new_id
-- param: recipient_id str
-- param: amount int
-- param: currency str
-- param: now now
insert into payouts (
  account_id, id, recipient_id, amount, currency, status, failure_reason, paid_at,
  created_at, updated_at
)
values (
  :account_id, :id, :recipient_id, :amount, :currency, 'pending', null, null, :now, :now
)
returning id, account_id, recipient_id, amount, currency, status, failure_reason, paid_at,
          created_at, updated_at;

-- name: find_by_id(account_id, id)^
-- record_class: Payout
-- One payout of the account by its id.
-- param: id str
select po.id, po.account_id, po.recipient_id, po.amount, po.currency, po.status,
       po.failure_reason, po.paid_at, po.created_at, po.updated_at
  from payouts po
 where po.account_id = :account_id
   and po.id = :id;

-- name: mark_paid(account_id, id, now)<!
-- record_class: Payout
-- Mark a pending payout paid; None if it is not pending (already paid or failed) or unknown.
-- param: id str
-- param: now now
update payouts
   set status = 'paid',
       paid_at = :now,
       updated_at = :now
 where account_id = :account_id
   and id = :id
   and status = 'pending'
returning id, account_id, recipient_id, amount, currency, status, failure_reason, paid_at,
          created_at, updated_at;

-- name: mark_failed(account_id, id, failure_reason, now)<!
-- record_class: Payout
-- Mark a pending payout failed with a reason; None if it is not pending or unknown.
-- param: id str
-- param: failure_reason str
-- param: now now
update payouts
   set status = 'failed',
       failure_reason = :failure_reason,
       updated_at = :now
 where account_id = :account_id
   and id = :id
   and status = 'pending'
returning id, account_id, recipient_id, amount, currency, status, failure_reason, paid_at,
          created_at, updated_at;

-- name: list_pending(account_id, before_created_at, before_id, limit)
-- record_class: Payout
-- The account's pending payouts, newest first, one keyset page.
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select po.id, po.account_id, po.recipient_id, po.amount, po.currency, po.status,
       po.failure_reason, po.paid_at, po.created_at, po.updated_at
  from payouts po
 where po.account_id = :account_id
   and po.status = 'pending'
   and (po.created_at, po.id) < (:before_created_at, :before_id)
 order by po.created_at desc, po.id desc
 limit :limit;

-- name: list_by_recipient(account_id, recipient_id, before_created_at, before_id, limit)
-- record_class: Payout
-- One recipient's payouts in any status, newest first, one keyset page.
-- param: recipient_id str
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select po.id, po.account_id, po.recipient_id, po.amount, po.currency, po.status,
       po.failure_reason, po.paid_at, po.created_at, po.updated_at
  from payouts po
 where po.account_id = :account_id
   and po.recipient_id = :recipient_id
   and (po.created_at, po.id) < (:before_created_at, :before_id)
 order by po.created_at desc, po.id desc
 limit :limit;

-- name: totals(account_id, recipient_id)
-- record_class: PayoutTotal
-- Count and sum of payouts by currency and status, for the account or one recipient.
-- param: recipient_id str? = none
select po.currency,
       po.status,
       cast(count(*) as bigint) as payout_count,
       cast(coalesce(sum(po.amount), 0) as bigint) as amount_total
  from payouts po
 where po.account_id = :account_id
   and (cast(:recipient_id as text) is null or po.recipient_id = :recipient_id)
 group by po.currency, po.status
 order by po.currency, po.status;

-- name: record(account_id, id, creator_id, stripe_payment_intent_id, amount, currency, status, description, metadata, now)<!
-- record_class: StripePayment
-- Record a Stripe payment, idempotent on the payment-intent id: recording an intent the
-- account already has changes nothing and returns the row recorded first.
-- param: id new_id
-- param: creator_id str? = none
-- param: stripe_payment_intent_id str
-- param: amount int
-- param: currency str
-- param: status str in ('requires_payment_method', 'processing', 'succeeded', 'failed', 'refunded', 'canceled')
-- param: description str? = none
-- param: metadata json? = none
-- param: now now
insert into stripe_payments (
  account_id, id, creator_id, stripe_payment_intent_id, amount, currency, status,
  description, metadata, created_at, updated_at
)
values (
  :account_id, :id, :creator_id, :stripe_payment_intent_id, :amount, :currency, :status,
  :description, coalesce(:metadata, '{}'), :now, :now
)
on conflict (account_id, stripe_payment_intent_id) do update
  set updated_at = stripe_payments.updated_at
returning id, account_id, creator_id, stripe_payment_intent_id, amount, currency, status,
          description, metadata, created_at, updated_at;

-- name: find_by_intent(account_id, stripe_payment_intent_id)^
-- record_class: StripePayment
-- The account's payment for one Stripe payment intent.
-- param: stripe_payment_intent_id str
select sp.id, sp.account_id, sp.creator_id, sp.stripe_payment_intent_id, sp.amount, sp.currency,
       sp.status, sp.description, sp.metadata, sp.created_at, sp.updated_at
  from stripe_payments sp
 where sp.account_id = :account_id
   and sp.stripe_payment_intent_id = :stripe_payment_intent_id;

-- name: find_by_id(account_id, id)^
-- record_class: StripePayment
-- One payment of the account by its id.
-- param: id str
select sp.id, sp.account_id, sp.creator_id, sp.stripe_payment_intent_id, sp.amount, sp.currency,
       sp.status, sp.description, sp.metadata, sp.created_at, sp.updated_at
  from stripe_payments sp
 where sp.account_id = :account_id
   and sp.id = :id;

-- name: update_status(account_id, stripe_payment_intent_id, status, now)<!
-- record_class: StripePayment
-- Set the status of the payment for a payment intent (as a webhook reports it); None if
-- the account has no such payment.
-- param: stripe_payment_intent_id str
-- param: status str in ('requires_payment_method', 'processing', 'succeeded', 'failed', 'refunded', 'canceled')
-- param: now now
update stripe_payments
   set status = :status,
       updated_at = :now
 where account_id = :account_id
   and stripe_payment_intent_id = :stripe_payment_intent_id
returning id, account_id, creator_id, stripe_payment_intent_id, amount, currency, status,
          description, metadata, created_at, updated_at;

-- name: list_by_date_range(account_id, created_from, created_until, before_created_at, before_id, limit)
-- record_class: StripePayment
-- Payments created in [created_from, created_until), newest first, one keyset page.
-- param: created_from datetime
-- param: created_until datetime = max
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select sp.id, sp.account_id, sp.creator_id, sp.stripe_payment_intent_id, sp.amount, sp.currency,
       sp.status, sp.description, sp.metadata, sp.created_at, sp.updated_at
  from stripe_payments sp
 where sp.account_id = :account_id
   and sp.created_at >= :created_from
   and sp.created_at < :created_until
   and (sp.created_at, sp.id) < (:before_created_at, :before_id)
 order by sp.created_at desc, sp.id desc
 limit :limit;

-- name: totals(account_id, created_from, created_until)
-- record_class: PaymentTotal
-- Count and sum of the payments created in [created_from, created_until), by currency and status.
-- param: created_from datetime
-- param: created_until datetime = max
select sp.currency,
       sp.status,
       cast(count(*) as bigint) as payment_count,
       cast(coalesce(sum(sp.amount), 0) as bigint) as amount_total
  from stripe_payments sp
 where sp.account_id = :account_id
   and sp.created_at >= :created_from
   and sp.created_at < :created_until
 group by sp.currency, sp.status
 order by sp.currency, sp.status;

-- name: find_by_id_for_update(account_id, id)^
-- record_class: StripePayment
-- One payment by id, locked until the end of the transaction (programs that check the
-- payment before writing use it). SQLite write transactions are serialized already.
-- param: id str
select sp.id, sp.account_id, sp.creator_id, sp.stripe_payment_intent_id, sp.amount, sp.currency,
       sp.status, sp.description, sp.metadata, sp.created_at, sp.updated_at
  from stripe_payments sp
 where sp.account_id = :account_id
   and sp.id = :id;

-- name: record(account_id, id, creator_id, stripe_payment_intent_id, amount, currency, status, description, metadata, now)<!
-- record_class: StripePayment
-- Record a Stripe payment, idempotent on the payment-intent id: recording an intent the
-- account already has changes nothing and returns the row recorded first.
-- (Postgres needs the type of a null metadata spelled out.)
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
  :description, coalesce(cast(:metadata as jsonb), cast('{}' as jsonb)), :now, :now
)
on conflict (account_id, stripe_payment_intent_id) do update
  set updated_at = stripe_payments.updated_at
returning id, account_id, creator_id, stripe_payment_intent_id, amount, currency, status,
          description, metadata, created_at, updated_at;

-- name: find_by_id_for_update(account_id, id)^
-- record_class: StripePayment
-- One payment by id, locked until the end of the transaction (programs that check the
-- payment before writing use it).
-- param: id str
select sp.id, sp.account_id, sp.creator_id, sp.stripe_payment_intent_id, sp.amount, sp.currency,
       sp.status, sp.description, sp.metadata, sp.created_at, sp.updated_at
  from stripe_payments sp
 where sp.account_id = :account_id
   and sp.id = :id
   for update;

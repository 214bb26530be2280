-- name: create(account_id, id, payment_id, recipient_id, amount, currency, now)<!
-- record_class: PaymentShare
-- Insert one share of a payment (the split program checks that the shares add up; use it).
-- param: id new_id
-- param: payment_id str
-- param: recipient_id str
-- param: amount int
-- param: currency str
-- param: now now
insert into payment_shares (account_id, id, payment_id, recipient_id, amount, currency, created_at)
values (:account_id, :id, :payment_id, :recipient_id, :amount, :currency, :now)
returning id, account_id, payment_id, recipient_id, amount, currency, created_at;

-- name: list_by_payment(account_id, payment_id)
-- record_class: PaymentShare
-- The shares of one payment, by recipient.
-- param: payment_id str
select ps.id, ps.account_id, ps.payment_id, ps.recipient_id, ps.amount, ps.currency, ps.created_at
  from payment_shares ps
 where ps.account_id = :account_id
   and ps.payment_id = :payment_id
 order by ps.recipient_id;

-- name: totals_by_recipient(account_id, recipient_id)
-- record_class: RecipientShareTotal
-- Count and sum of shares by recipient and currency, for the account or one recipient.
-- param: recipient_id str? = none
select ps.recipient_id,
       ps.currency,
       cast(count(*) as bigint) as share_count,
       cast(coalesce(sum(ps.amount), 0) as bigint) as amount_total
  from payment_shares ps
 where ps.account_id = :account_id
   and (cast(:recipient_id as text) is null or ps.recipient_id = :recipient_id)
 group by ps.recipient_id, ps.currency
 order by ps.recipient_id, ps.currency;

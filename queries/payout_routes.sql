-- name: upsert(account_id, id, recipient_id, destination_type, destination_ref, share_bps, now)<!
-- record_class: PayoutRoute
-- Create or replace the payout route of a recipient (one route per recipient).
-- param: id new_id
-- param: recipient_id str
-- param: destination_type str in ('stripe_connect', 'bank_account')
-- param: destination_ref str
-- param: share_bps int 0..10000
-- param: now now
insert into payout_routes (
  account_id, id, recipient_id, destination_type, destination_ref, share_bps, created_at, updated_at
)
values (
  :account_id, :id, :recipient_id, :destination_type, :destination_ref, :share_bps, :now, :now
)
on conflict (account_id, recipient_id) do update
  set destination_type = excluded.destination_type,
      destination_ref = excluded.destination_ref,
      share_bps = excluded.share_bps,
      updated_at = excluded.updated_at
returning id, account_id, recipient_id, destination_type, destination_ref, share_bps,
          created_at, updated_at;

-- name: find_by_recipient(account_id, recipient_id)^
-- record_class: PayoutRoute
-- The payout route of one recipient.
-- param: recipient_id str
select pr.id, pr.account_id, pr.recipient_id, pr.destination_type, pr.destination_ref,
       pr.share_bps, pr.created_at, pr.updated_at
  from payout_routes pr
 where pr.account_id = :account_id
   and pr.recipient_id = :recipient_id;

-- name: list(account_id, before_created_at, before_id, limit)
-- record_class: PayoutRoute
-- The account's payout routes, newest first, one keyset page.
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select pr.id, pr.account_id, pr.recipient_id, pr.destination_type, pr.destination_ref,
       pr.share_bps, pr.created_at, pr.updated_at
  from payout_routes pr
 where pr.account_id = :account_id
   and (pr.created_at, pr.id) < (:before_created_at, :before_id)
 order by pr.created_at desc, pr.id desc
 limit :limit;

-- name: delete(account_id, recipient_id)!
-- Remove the payout route of one recipient; returns the number of rows removed (0 or 1).
-- param: recipient_id str
delete from payout_routes
 where account_id = :account_id
   and recipient_id = :recipient_id;

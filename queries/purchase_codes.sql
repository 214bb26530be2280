-- name: create(account_id, id, code, tier_id, expires_at, now)<!
-- record_class: PurchaseCode
-- Create one purchase code (see the create_batch program for many at once).
-- param: id new_id
-- param: code str
-- param: tier_id str? = none
-- param: expires_at datetime? = none
-- param: now now
insert into purchase_codes (
  account_id, id, code, tier_id, redeemed_by, redeemed_at, expires_at, created_at
)
values (:account_id, :id, :code, :tier_id, null, null, :expires_at, :now)
returning id, account_id, code, tier_id, redeemed_by, redeemed_at, expires_at, created_at;

-- name: redeem(account_id, code, redeemed_by, now)<!
-- record_class: PurchaseCode
-- Redeem a code once, atomically: None if it is unknown, already redeemed or expired.
-- param: code str
-- param: redeemed_by str
-- param: now now
update purchase_codes
   set redeemed_by = :redeemed_by,
       redeemed_at = :now
 where account_id = :account_id
   and code = :code
   and redeemed_at is null
   and (expires_at is null or expires_at > :now)
returning id, account_id, code, tier_id, redeemed_by, redeemed_at, expires_at, created_at;

-- name: find(account_id, code)^
-- record_class: PurchaseCode
-- One code of the account, redeemed or not.
-- param: code str
select pc.id, pc.account_id, pc.code, pc.tier_id, pc.redeemed_by, pc.redeemed_at, pc.expires_at,
       pc.created_at
  from purchase_codes pc
 where pc.account_id = :account_id
   and pc.code = :code;

-- name: list_unused(account_id, before_created_at, before_id, limit, now)
-- record_class: PurchaseCode
-- Codes that can still be redeemed (not redeemed, not expired), newest first, one keyset page.
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
-- param: now now
select pc.id, pc.account_id, pc.code, pc.tier_id, pc.redeemed_by, pc.redeemed_at, pc.expires_at,
       pc.created_at
  from purchase_codes pc
 where pc.account_id = :account_id
   and pc.redeemed_at is null
   and (pc.expires_at is null or pc.expires_at > :now)
   and (pc.created_at, pc.id) < (:before_created_at, :before_id)
 order by pc.created_at desc, pc.id desc
 limit :limit;

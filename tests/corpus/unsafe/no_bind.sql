-- Unsafe queries that never bind :account_id (the loader's guard refuses this file too;
-- the checker still analyses and reports each query).

-- name: delete_without_predicate(account_id, post_id)!
-- param: post_id str
delete from likes
 where post_id = :post_id;

-- name: literal_instead_of_bind(account_id)$
select p.account_id
  from posts p
 where p.account_id = 'acc_b';

-- name: account_equals_itself(account_id)$
select p.account_id
  from posts p
 where account_id = account_id;

-- name: insert_values_other_bind(account_id, target_account, id, creator_id, follower_id, now)!
-- param: target_account str
-- param: id str
-- param: creator_id str
-- param: follower_id str
-- param: now now
insert into follows (account_id, id, creator_id, follower_id, created_at)
values (:target_account, :id, :creator_id, :follower_id, :now);

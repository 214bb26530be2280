-- A consuming app's own queries, loaded with extra_queries=.

-- name: creator_count(account_id)$
-- How many creators the account has.
select count(*)
  from creators c
 where c.account_id = :account_id;

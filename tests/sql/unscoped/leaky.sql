-- name: fine(account_id)$
select count(*) from creators c where c.account_id = :account_id;

-- name: all_creators()$
select count(*) from creators;

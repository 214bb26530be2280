-- name: by_id(account_id, id)$
-- param: id str
select count(*) from creators c where c.id = :id;

-- name: by_id(account_id, id)^
-- record_class: NoSuchRecord
-- param: id str
select c.id from creators c where c.account_id = :account_id and c.id = :id;

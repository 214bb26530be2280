-- name: lock_collection(account_id, id)$
-- The collection's id, None if the account has none such. Programs that renumber items
-- call it first: it locks the collection row until the transaction ends, so two
-- renumberings of one collection never interleave. (SQLite's write transactions are
-- already serial.)
-- returns: str
-- param: id str
select c.id
  from collections c
 where c.account_id = :account_id
   and c.id = :id
   for update;

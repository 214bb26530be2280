-- Postgres forms.

-- name: in_list_json_each(account_id, ids)$
-- param: ids str_list
select p.title
  from posts p
 where p.account_id = :account_id
   and p.id = any(:ids);

-- Unsafe writes: each changes (or copies from) another account's rows.

-- name: update_sets_account_where_id(account_id, id)!
-- param: id str
update posts
   set account_id = :account_id
 where id = :id;

-- name: delete_bind_is_not_null(account_id, id)!
-- param: id str
delete from comments
 where id = :id
   and :account_id is not null;

-- name: update_or(account_id, id)!
-- param: id str
update payouts
   set status = 'failed',
       failure_reason = 'x'
 where account_id = :account_id
    or id = :id;

-- name: insert_select_unscoped(account_id, id, user_id)!
-- param: id str
-- param: user_id str
insert into likes (account_id, id, post_id, user_id, created_at)
select :account_id, :id, l.post_id, l.user_id, l.created_at
  from likes l
 where l.user_id = :user_id;

-- name: insert_account_from_column(account_id, id, post_id, user_id, body, now)!
-- param: id str
-- param: post_id str
-- param: user_id str
-- param: body str
-- param: now now
insert into comments (account_id, id, post_id, user_id, body, created_at)
select p.account_id, :id, p.id, :user_id, :body, :now
  from posts p
 where p.account_id <> :account_id
   and p.id = :post_id;

-- name: upsert_sets_account(account_id, id, post_id, user_id, now)!
-- param: id str
-- param: post_id str
-- param: user_id str
-- param: now now
insert into likes (account_id, id, post_id, user_id, created_at)
values (:account_id, :id, :post_id, :user_id, :now)
on conflict (account_id, post_id, user_id) do update
  set account_id = excluded.account_id;

-- name: update_where_subquery_unscoped(account_id, user_id)!
-- param: user_id str
update posts
   set status = 'archived'
 where account_id = :account_id
   and id in (select l.post_id from likes l where l.user_id = :user_id);

-- name: delete_via_unscoped_cte(account_id, user_id)!
-- param: user_id str
with doomed as (
  select l.id
    from likes l
   where l.user_id = :user_id
)
delete from likes
 where account_id = :account_id
   and id in (select d.id from doomed d);

-- name: update_from_unscoped(account_id, now)!
-- param: now now
update posts
   set title = c.name,
       updated_at = :now
  from creators c
 where c.id = posts.creator_id
   and posts.account_id = :account_id;

-- name: upsert_update_reads_unscoped(account_id, id, post_id, user_id, now)!
-- param: id str
-- param: post_id str
-- param: user_id str
-- param: now now
insert into likes (account_id, id, post_id, user_id, created_at)
values (:account_id, :id, :post_id, :user_id, :now)
on conflict (account_id, post_id, user_id) do update
  set created_at = (select max(l2.created_at) from likes l2);

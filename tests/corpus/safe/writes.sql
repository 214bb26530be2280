-- Safe writes of varied shapes.

-- name: insert_values(account_id, id, post_id, user_id, now)!
-- param: id str
-- param: post_id str
-- param: user_id str
-- param: now now
insert into likes (account_id, id, post_id, user_id, created_at)
values (:account_id, :id, :post_id, :user_id, :now);

-- name: insert_select_scoped(account_id, id, post_id, user_id, body, now)!
-- param: id str
-- param: post_id str
-- param: user_id str
-- param: body str
-- param: now now
insert into comments (account_id, id, post_id, user_id, body, created_at)
select p.account_id, :id, p.id, :user_id, :body, :now
  from posts p
 where p.account_id = :account_id
   and p.id = :post_id;

-- name: upsert_do_nothing(account_id, id, post_id, user_id, now)!
-- param: id str
-- param: post_id str
-- param: user_id str
-- param: now now
insert into likes (account_id, id, post_id, user_id, created_at)
values (:account_id, :id, :post_id, :user_id, :now)
on conflict (account_id, post_id, user_id) do nothing;

-- name: upsert_do_update(account_id, id, creator_id, follower_id, now)!
-- param: id str
-- param: creator_id str
-- param: follower_id str
-- param: now now
insert into follows (account_id, id, creator_id, follower_id, created_at)
values (:account_id, :id, :creator_id, :follower_id, :now)
on conflict (account_id, creator_id, follower_id) do update
  set created_at = follows.created_at;

-- name: update_with_scoped_subquery(account_id, user_id)!
-- param: user_id str
update posts
   set status = 'archived'
 where account_id = :account_id
   and id in (select l.post_id from likes l where l.account_id = :account_id and l.user_id = :user_id);

-- name: delete_scoped(account_id, post_id)!
-- param: post_id str
delete from likes
 where account_id = :account_id
   and post_id = :post_id;

-- name: update_from_scoped(account_id, now)!
-- param: now now
update posts
   set title = c.name,
       updated_at = :now
  from creators c
 where c.account_id = posts.account_id
   and c.id = posts.creator_id
   and posts.account_id = :account_id;

-- name: delete_via_scoped_cte(account_id, user_id)!
-- param: user_id str
with doomed as (
  select l.id
    from likes l
   where l.account_id = :account_id
     and l.user_id = :user_id
)
delete from likes
 where account_id = :account_id
   and id in (select d.id from doomed d);

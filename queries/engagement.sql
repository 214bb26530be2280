-- Likes, comments and reposts on posts.

-- name: like(account_id, id, post_id, user_id, now)!
-- A user likes a post; returns 1 when the like is new, 0 when the user already liked it.
-- param: id new_id
-- param: post_id str
-- param: user_id str
-- param: now now
insert into likes (account_id, id, post_id, user_id, created_at)
values (:account_id, :id, :post_id, :user_id, :now)
on conflict (account_id, post_id, user_id) do nothing;

-- name: unlike(account_id, post_id, user_id)!
-- Withdraw a like; returns 1 when removed, 0 when there was none.
-- param: post_id str
-- param: user_id str
delete from likes as l
 where l.account_id = :account_id
   and l.post_id = :post_id
   and l.user_id = :user_id;

-- name: has_liked(account_id, post_id, user_id)$
-- Whether the user likes the post (a user likes a post once).
-- returns: bool
-- param: post_id str
-- param: user_id str
select count(*)
  from likes l
 where l.account_id = :account_id
   and l.post_id = :post_id
   and l.user_id = :user_id;

-- name: repost(account_id, id, post_id, user_id, now)!
-- A user reposts a post; returns 1 when the repost is new, 0 when the user already reposted it.
-- param: id new_id
-- param: post_id str
-- param: user_id str
-- param: now now
insert into reposts (account_id, id, post_id, user_id, created_at)
values (:account_id, :id, :post_id, :user_id, :now)
on conflict (account_id, post_id, user_id) do nothing;

-- name: unrepost(account_id, post_id, user_id)!
-- Withdraw a repost; returns 1 when removed, 0 when there was none.
-- param: post_id str
-- param: user_id str
delete from reposts as r
 where r.account_id = :account_id
   and r.post_id = :post_id
   and r.user_id = :user_id;

-- name: user_state(account_id, post_id, user_id)^
-- record_class: UserEngagement
-- Whether one user has liked and reposted one post (both False for an unknown post).
-- param: post_id str
-- param: user_id str
select cast(:post_id as text) as post_id,
       cast(:user_id as text) as user_id,
       exists(
         select 1
           from likes l
          where l.account_id = :account_id
            and l.post_id = :post_id
            and l.user_id = :user_id
       ) as liked,
       exists(
         select 1
           from reposts r
          where r.account_id = :account_id
            and r.post_id = :post_id
            and r.user_id = :user_id
       ) as reposted;

-- name: add_comment(account_id, id, post_id, user_id, body, now)<!
-- record_class: Comment
-- A user comments on a post.
-- param: id new_id
-- param: post_id str
-- param: user_id str
-- param: body str
-- param: now now
insert into comments (account_id, id, post_id, user_id, body, created_at)
values (:account_id, :id, :post_id, :user_id, :body, :now)
returning id, account_id, post_id, user_id, body, created_at;

-- name: list_comments(account_id, post_id, before_created_at, before_id, limit)
-- record_class: Comment
-- The comments on one post, newest first; keyset on (created_at, id).
-- param: post_id str
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select cm.id, cm.account_id, cm.post_id, cm.user_id, cm.body, cm.created_at
  from comments cm
 where cm.account_id = :account_id
   and cm.post_id = :post_id
   and (cm.created_at, cm.id) < (:before_created_at, :before_id)
 order by cm.created_at desc, cm.id desc
 limit :limit;

-- name: delete_comment(account_id, id, user_id)!
-- Delete a comment (only if written by `user_id`, when given); returns 1, or 0 when nothing matched.
-- param: id str
-- param: user_id str? = none
delete from comments as cm
 where cm.account_id = :account_id
   and cm.id = :id
   and (cast(:user_id as text) is null or cm.user_id = :user_id);

-- name: counts(account_id, post_ids)
-- record_class: PostEngagement
-- Like, comment and repost counts of the given posts of the account, in one query,
-- ordered by post id; ids of unknown posts are left out.
-- param: post_ids str_list
select p.id as post_id,
       (select count(*)
          from likes l
         where l.account_id = :account_id
           and l.post_id = p.id) as likes,
       (select count(*)
          from comments cm
         where cm.account_id = :account_id
           and cm.post_id = p.id) as comments,
       (select count(*)
          from reposts r
         where r.account_id = :account_id
           and r.post_id = p.id) as reposts
  from posts p
 where p.account_id = :account_id
   and p.id in (select value from json_each(:post_ids))
 order by p.id;

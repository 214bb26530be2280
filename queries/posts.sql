-- Posts of an account's creators, and the updates appended to them.
-- (Similarity and hybrid search queries live with the search work.)

-- name: create(account_id, id, creator_id, title, body, status, embedding, now)<!
-- record_class: Post
-- Create a post (a draft unless `status` says otherwise; a published post gets published_at now).
-- param: id new_id
-- param: creator_id str
-- param: title str
-- param: body str = ''
-- param: status str in ('draft', 'published', 'archived') = 'draft'
-- param: embedding vector? = none
-- param: now now
insert into posts (account_id, id, creator_id, title, body, status, published_at,
                   created_at, updated_at, embedding)
values (:account_id, :id, :creator_id, :title, :body, :status,
        case when cast(:status as text) = 'published' then :now end,
        :now, :now, :embedding)
returning id, account_id, creator_id, title, body, status, published_at,
          created_at, updated_at, embedding;

-- name: find_by_id(account_id, id)^
-- record_class: Post
-- One post of the account by id, with its embedding.
-- param: id str
select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at,
       p.created_at, p.updated_at, p.embedding
  from posts p
 where p.account_id = :account_id
   and p.id = :id;

-- name: update(account_id, id, title, body, embedding, now)<!
-- record_class: Post
-- Change the given fields (None keeps the current value); None when there is no such post.
-- param: id str
-- param: title str? = none
-- param: body str? = none
-- param: embedding vector? = none
-- param: now now
update posts as p
   set title = coalesce(:title, p.title),
       body = coalesce(:body, p.body),
       embedding = coalesce(:embedding, p.embedding),
       updated_at = :now
 where p.account_id = :account_id
   and p.id = :id
returning id, account_id, creator_id, title, body, status, published_at,
          created_at, updated_at, embedding;

-- name: publish(account_id, id, now)<!
-- record_class: Post
-- Publish a post (again); published_at is set the first time only. None when there is no such post.
-- param: id str
-- param: now now
update posts as p
   set status = 'published',
       published_at = coalesce(p.published_at, :now),
       updated_at = :now
 where p.account_id = :account_id
   and p.id = :id
returning id, account_id, creator_id, title, body, status, published_at,
          created_at, updated_at, embedding;

-- name: archive(account_id, id, now)<!
-- record_class: Post
-- Archive a post (it leaves the feed; published_at is kept). None when there is no such post.
-- param: id str
-- param: now now
update posts as p
   set status = 'archived',
       updated_at = :now
 where p.account_id = :account_id
   and p.id = :id
returning id, account_id, creator_id, title, body, status, published_at,
          created_at, updated_at, embedding;

-- name: delete(account_id, id)!
-- Delete a post with its updates, likes, comments and reposts; returns 1, or 0 when there was none.
-- param: id str
delete from posts as p
 where p.account_id = :account_id
   and p.id = :id;

-- name: list_by_creator(account_id, creator_id, status, before_created_at, before_id, limit)
-- record_class: PostSummary
-- One creator's posts, newest first, optionally of one status; keyset on (created_at, id).
-- param: creator_id str
-- param: status str? in ('draft', 'published', 'archived') = none
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at,
       p.created_at, p.updated_at
  from posts p
 where p.account_id = :account_id
   and p.creator_id = :creator_id
   and (cast(:status as text) is null or p.status = :status)
   and (p.created_at, p.id) < (:before_created_at, :before_id)
 order by p.created_at desc, p.id desc
 limit :limit;

-- name: feed(account_id, before_created_at, before_id, limit)
-- record_class: PostSummary
-- The account's published posts, newest first; keyset on (created_at, id).
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at,
       p.created_at, p.updated_at
  from posts p
 where p.account_id = :account_id
   and p.status = 'published'
   and (p.created_at, p.id) < (:before_created_at, :before_id)
 order by p.created_at desc, p.id desc
 limit :limit;

-- name: count_by_status(account_id, creator_id)
-- record_class: PostStatusCount
-- One row per status (zeros included, in status order), optionally for one creator.
-- param: creator_id str? = none
select s.status,
       (select count(*)
          from posts p
         where p.account_id = :account_id
           and p.status = s.status
           and (cast(:creator_id as text) is null or p.creator_id = :creator_id)) as count
  from (select 'archived' as status
        union all
        select 'draft'
        union all
        select 'published') s
 order by s.status;

-- name: add_update(account_id, id, post_id, body, now)<!
-- record_class: PostUpdate
-- Append an update to a post.
-- param: id new_id
-- param: post_id str
-- param: body str
-- param: now now
insert into post_updates (account_id, id, post_id, body, created_at)
values (:account_id, :id, :post_id, :body, :now)
returning id, account_id, post_id, body, created_at;

-- name: list_updates(account_id, post_id, before_created_at, before_id, limit)
-- record_class: PostUpdate
-- The updates of one post, newest first; keyset on (created_at, id).
-- param: post_id str
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select pu.id, pu.account_id, pu.post_id, pu.body, pu.created_at
  from post_updates pu
 where pu.account_id = :account_id
   and pu.post_id = :post_id
   and (pu.created_at, pu.id) < (:before_created_at, :before_id)
 order by pu.created_at desc, pu.id desc
 limit :limit;

-- Postgres forms of engagement queries whose SQL differs by dialect.

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
   and p.id = any(:post_ids)
 order by p.id;

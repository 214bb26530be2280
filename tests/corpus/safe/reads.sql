-- Safe reads of varied shapes: the checker must prove every one scoped.

-- name: find_by_id(account_id, id)$
-- param: id str
select p.title
  from posts p
 where p.account_id = :account_id
   and p.id = :id;

-- name: join_both_in_where(account_id)$
select l.user_id
  from posts p
  join likes l
    on l.post_id = p.id
 where p.account_id = :account_id
   and l.account_id = :account_id;

-- name: join_chained_equality(account_id)$
select l.user_id
  from posts p
  join likes l
    on l.account_id = p.account_id
   and l.post_id = p.id
 where p.account_id = :account_id;

-- name: left_join_scoped_in_on(account_id)$
select p.id, l.user_id
  from posts p
  left join likes l
    on l.account_id = :account_id
   and l.post_id = p.id
 where p.account_id = :account_id;

-- name: cte_scoped(account_id)$
with mine as (
  select p.id, p.account_id, p.title
    from posts p
   where p.account_id = :account_id
)
select m.title
  from mine m;

-- name: cte_anchor_joins(account_id)$
with mine as (
  select p.id, p.account_id
    from posts p
   where p.account_id = :account_id
)
select l.user_id
  from mine m
  join likes l
    on l.account_id = m.account_id
   and l.post_id = m.id;

-- name: in_list_json_each(account_id, ids)$
-- param: ids str_list
select p.title
  from posts p
 where p.account_id = :account_id
   and p.id in (select value from json_each(:ids));

-- name: keyset_page(account_id, before_created_at, before_id, limit)$
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int = 50
select p.title
  from posts p
 where p.account_id = :account_id
   and (p.created_at, p.id) < (:before_created_at, :before_id)
 order by p.created_at desc, p.id desc
 limit :limit;

-- name: exists_correlated(account_id, user_id)$
-- param: user_id str
select p.title
  from posts p
 where p.account_id = :account_id
   and exists (
     select 1
       from likes l
      where l.account_id = p.account_id
        and l.post_id = p.id
        and l.user_id = :user_id
   );

-- name: aggregate_by_status(account_id)$
select cast(count(*) as bigint) as n
  from posts p
 where p.account_id = :account_id
 group by p.status
 order by p.status;

-- name: union_both_scoped(account_id)$
select p.title
  from posts p
 where p.account_id = :account_id
union all
select c.name
  from creators c
 where c.account_id = :account_id;

-- name: scalar_subqueries_scoped(account_id)$
select (select count(*)
          from likes l
         where l.account_id = :account_id
           and l.post_id = p.id) as likes,
       (select max(cm.body)
          from comments cm
         where cm.account_id = p.account_id
           and cm.post_id = p.id) as last_comment
  from posts p
 where p.account_id = :account_id;

-- name: row_value_predicate(account_id, id)$
-- param: id str
select p.title
  from posts p
 where (p.account_id, p.id) = (:account_id, :id);

-- name: join_using_account(account_id)$
select l.user_id
  from posts p
  join likes l using (account_id)
 where p.account_id = :account_id
   and l.post_id = p.id;

-- name: derived_table_scoped(account_id)$
select d.n
  from (select l.post_id, count(*) as n
          from likes l
         where l.account_id = :account_id
         group by l.post_id) d;

-- name: cast_bind(account_id)$
select c.name
  from creators c
 where c.account_id = cast(:account_id as text);

-- name: unqualified_single_table(account_id)$
select title
  from posts
 where account_id = :account_id;

-- name: in_subquery_scoped(account_id, user_id)$
-- param: user_id str
select p.title
  from posts p
 where p.account_id = :account_id
   and p.id in (select l.post_id from likes l where l.account_id = :account_id and l.user_id = :user_id);

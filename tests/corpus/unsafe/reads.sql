-- Unsafe reads: each leaks another account's rows (the checker must report every one).

-- name: or_true(account_id)$
select p.account_id
  from posts p
 where p.account_id = :account_id or 1 = 1;

-- name: bind_is_not_null(account_id)$
select p.account_id
  from posts p
 where :account_id is not null;

-- name: join_unscoped(account_id)$
select l.account_id
  from posts p
  join likes l
    on l.post_id = p.id
 where p.account_id = :account_id;

-- name: union_branch_unscoped(account_id)$
select p.account_id
  from posts p
 where p.account_id = :account_id
union all
select c.account_id
  from creators c;

-- name: cte_unscoped(account_id)$
with liked as (
  select l.post_id, l.user_id
    from likes l
)
select lk.user_id
  from posts p
  join liked lk
    on lk.post_id = p.id
 where p.account_id = :account_id;

-- name: subquery_in_where_unscoped(account_id, user_id)$
-- param: user_id str
select p.id
  from posts p
 where p.account_id = :account_id
   and p.id in (select l.post_id from likes l where l.user_id = :user_id);

-- name: exists_unscoped(account_id, user_id)$
-- param: user_id str
select p.id
  from posts p
 where p.account_id = :account_id
   and exists (select 1 from likes l where l.post_id = p.id and l.user_id = :user_id);

-- name: scalar_subquery_unscoped(account_id, id)$
-- param: id str
select (select count(*) from payouts po where po.status = 'pending') as pending
  from creators c
 where c.account_id = :account_id
   and c.id = :id;

-- name: correlated_missing_predicate(account_id, id)$
-- param: id str
select (select max(cm.body) from comments cm where cm.post_id = p.id) as last_comment
  from posts p
 where p.account_id = :account_id
   and p.id = :id;

-- name: predicate_under_not(account_id)$
select p.account_id
  from posts p
 where not (p.account_id <> :account_id and p.status = 'published');

-- name: predicate_on_wrong_alias(account_id, user_id)$
-- param: user_id str
select p.id
  from posts p
 where p.account_id = :account_id
   and exists (
     select 1
       from likes l
      where p.account_id = :account_id
        and l.post_id = p.id
        and l.user_id = :user_id
   );

-- name: coalesce_bind(account_id)$
select p.account_id
  from posts p
 where p.account_id = coalesce(:account_id, p.account_id);

-- name: left_join_right_unscoped(account_id)$
select l.account_id
  from posts p
  left join likes l
    on l.post_id = p.id
 where p.account_id = :account_id;

-- name: left_join_left_only_in_on(account_id)$
select p.account_id
  from posts p
  left join likes l
    on l.post_id = p.id
   and l.account_id = :account_id
   and p.account_id = :account_id;

-- name: predicate_in_case(account_id)$
select p.account_id
  from posts p
 where case when p.status = 'draft' then p.account_id = :account_id else 1 end;

-- name: function_wrapping_account(account_id)$
select p.account_id
  from posts p
 where substr(p.account_id, 1, 4) = substr(:account_id, 1, 4);

-- name: or_other_account(account_id, other_account)$
-- param: other_account str
select p.account_id
  from posts p
 where p.account_id = :account_id
    or p.account_id = :other_account;

-- name: derived_table_unscoped(account_id)$
select d.account_id
  from (select l.account_id, l.post_id from likes l) d
  join posts p
    on p.id = d.post_id
 where p.account_id = :account_id;

-- name: except_branch_unscoped(account_id)$
select p.id
  from posts p
 where p.account_id = :account_id
except
select l.post_id
  from likes l;

-- name: comparison_not_equality(account_id)$
select p.account_id
  from posts p
 where p.account_id >= :account_id;

-- name: in_list_with_bind(account_id, other_account)$
-- param: other_account str
select p.account_id
  from posts p
 where p.account_id in (:account_id, :other_account);

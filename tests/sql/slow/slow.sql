-- name: spin(account_id)$
-- Counts to a hundred million: long enough to hit any statement timeout.
with recursive n (i) as (
  select 1
  union all
  select n.i + 1 from n where n.i < 100000000
)
select count(*) from n where cast(:account_id as text) is not null;

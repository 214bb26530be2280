-- The account registry: an account must be registered before anything is written for it,
-- so that a mistyped account id is an error (UnknownAccount), not a new, empty tenant.

-- name: register(account_id, now)!
-- Register the account; 1 when this call registered it, 0 when it was registered already.
-- param: now now
insert into accounts (account_id, created_at)
values (:account_id, :now)
on conflict (account_id) do nothing;

-- name: find(account_id)^
-- record_class: Account
-- The account's registration, None when it is not registered.
select a.account_id, a.created_at
  from accounts a
 where a.account_id = :account_id;

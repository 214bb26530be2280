-- name: add(account_id, id, agent_user_id, role, now)<!
-- record_class: AccountAgent
-- Give a user a role on the account (a user already an agent raises UniqueViolation).
-- param: id new_id
-- param: agent_user_id str
-- param: role str in ('owner', 'admin', 'finance', 'support')
-- param: now now
insert into account_agents (account_id, id, agent_user_id, role, created_at)
values (:account_id, :id, :agent_user_id, :role, :now)
returning id, account_id, agent_user_id, role, created_at;

-- name: set_role(account_id, agent_user_id, role)<!
-- record_class: AccountAgent
-- Change an agent's role; None if the user is not an agent of the account.
-- param: agent_user_id str
-- param: role str in ('owner', 'admin', 'finance', 'support')
update account_agents
   set role = :role
 where account_id = :account_id
   and agent_user_id = :agent_user_id
returning id, account_id, agent_user_id, role, created_at;

-- name: remove(account_id, agent_user_id)!
-- Take a user's role on the account away; returns the number of rows removed (0 or 1).
-- param: agent_user_id str
delete from account_agents
 where account_id = :account_id
   and agent_user_id = :agent_user_id;

-- name: find(account_id, agent_user_id)^
-- record_class: AccountAgent
-- One agent of the account by user id.
-- param: agent_user_id str
select aa.id, aa.account_id, aa.agent_user_id, aa.role, aa.created_at
  from account_agents aa
 where aa.account_id = :account_id
   and aa.agent_user_id = :agent_user_id;

-- name: list(account_id, before_created_at, before_id, limit)
-- record_class: AccountAgent
-- The account's agents, newest first, one keyset page.
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select aa.id, aa.account_id, aa.agent_user_id, aa.role, aa.created_at
  from account_agents aa
 where aa.account_id = :account_id
   and (aa.created_at, aa.id) < (:before_created_at, :before_id)
 order by aa.created_at desc, aa.id desc
 limit :limit;

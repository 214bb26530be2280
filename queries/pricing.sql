-- name: create_plan(account_id, id, creator_id, name, description, now)<!
-- record_class: Plan
-- Create an active plan for one of the account's creators.
-- param: id new_id
-- param: creator_id str
-- param: name str
-- param: description str? = none
-- param: now now
insert into plans (account_id, id, creator_id, name, description, status, created_at, updated_at)
values (:account_id, :id, :creator_id, :name, :description, 'active', :now, :now)
returning id, account_id, creator_id, name, description, status, created_at, updated_at;

-- name: add_tier(account_id, id, plan_id, name, price_amount, currency, billing_interval, now)<!
-- record_class: Tier
-- Add an active tier to an active plan of the account; None if there is no such active plan.
-- param: id new_id
-- param: plan_id str
-- param: name str
-- param: price_amount int
-- param: currency str
-- param: billing_interval str in ('month', 'year')
-- param: now now
insert into tiers (
  account_id, id, plan_id, name, price_amount, currency, billing_interval, status,
  created_at, updated_at
)
select :account_id, :id, p.id, :name, :price_amount, :currency, :billing_interval, 'active',
       :now, :now
  from plans p
 where p.account_id = :account_id
   and p.id = :plan_id
   and p.status = 'active'
returning id, account_id, plan_id, name, price_amount, currency, billing_interval, status,
          created_at, updated_at;

-- name: find_plan(account_id, id)^
-- record_class: Plan
-- One plan of the account by its id.
-- param: id str
select p.id, p.account_id, p.creator_id, p.name, p.description, p.status, p.created_at,
       p.updated_at
  from plans p
 where p.account_id = :account_id
   and p.id = :id;

-- name: find_tier(account_id, id)^
-- record_class: Tier
-- One tier of the account by its id.
-- param: id str
select t.id, t.account_id, t.plan_id, t.name, t.price_amount, t.currency, t.billing_interval,
       t.status, t.created_at, t.updated_at
  from tiers t
 where t.account_id = :account_id
   and t.id = :id;

-- name: list_plans(account_id, creator_id, include_archived)
-- record_class: Plan
-- A creator's plans, oldest first; archived plans only when asked for.
-- param: creator_id str
-- param: include_archived bool = false
select p.id, p.account_id, p.creator_id, p.name, p.description, p.status, p.created_at,
       p.updated_at
  from plans p
 where p.account_id = :account_id
   and p.creator_id = :creator_id
   and (:include_archived or p.status = 'active')
 order by p.created_at, p.id;

-- name: list_tiers(account_id, plan_id, include_archived)
-- record_class: Tier
-- A plan's tiers, cheapest first; archived tiers only when asked for.
-- param: plan_id str
-- param: include_archived bool = false
select t.id, t.account_id, t.plan_id, t.name, t.price_amount, t.currency, t.billing_interval,
       t.status, t.created_at, t.updated_at
  from tiers t
 where t.account_id = :account_id
   and t.plan_id = :plan_id
   and (:include_archived or t.status = 'active')
 order by t.price_amount, t.id;

-- name: price_list(account_id, creator_id)
-- record_class: PlanTier
-- A creator's price list in one query: every active tier of every active plan, with its
-- plan, plans oldest first and tiers cheapest first. A plan without active tiers has no line.
-- param: creator_id str
select p.account_id, p.creator_id, p.id as plan_id, p.name as plan_name,
       p.description as plan_description, t.id as tier_id, t.name as tier_name,
       t.price_amount, t.currency, t.billing_interval
  from plans p
  join tiers t
    on t.account_id = p.account_id
   and t.plan_id = p.id
 where p.account_id = :account_id
   and t.account_id = :account_id
   and p.creator_id = :creator_id
   and p.status = 'active'
   and t.status = 'active'
 order by p.created_at, p.id, t.price_amount, t.id;

-- name: change_price(account_id, id, price_amount, now)<!
-- record_class: Tier
-- Set the price of an active tier (same currency); None if the account has no such active tier.
-- param: id str
-- param: price_amount int
-- param: now now
update tiers
   set price_amount = :price_amount,
       updated_at = :now
 where account_id = :account_id
   and id = :id
   and status = 'active'
returning id, account_id, plan_id, name, price_amount, currency, billing_interval, status,
          created_at, updated_at;

-- name: archive_plan(account_id, id, now)<!
-- record_class: Plan
-- Archive a plan: it leaves the price list with all its tiers and takes no new tiers or
-- subscriptions; existing subscriptions go on. Idempotent; None if there is no such plan.
-- param: id str
-- param: now now
update plans
   set status = 'archived',
       updated_at = case when status = 'archived' then updated_at else :now end
 where account_id = :account_id
   and id = :id
returning id, account_id, creator_id, name, description, status, created_at, updated_at;

-- name: archive_tier(account_id, id, now)<!
-- record_class: Tier
-- Archive one tier: it leaves the price list and takes no new subscriptions; existing
-- subscriptions go on. Idempotent; None if there is no such tier.
-- param: id str
-- param: now now
update tiers
   set status = 'archived',
       updated_at = case when status = 'archived' then updated_at else :now end
 where account_id = :account_id
   and id = :id
returning id, account_id, plan_id, name, price_amount, currency, billing_interval, status,
          created_at, updated_at;

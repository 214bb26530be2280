-- name: follow(account_id, id, creator_id, follower_id, now)<!
-- record_class: Follow
-- Follow a creator. Idempotent: following again changes nothing and returns the first follow.
-- param: id new_id
-- param: creator_id str
-- param: follower_id str
-- param: now now
insert into follows (account_id, id, creator_id, follower_id, created_at)
values (:account_id, :id, :creator_id, :follower_id, :now)
on conflict (account_id, creator_id, follower_id) do update
  set created_at = follows.created_at
returning id, account_id, creator_id, follower_id, created_at;

-- name: unfollow(account_id, creator_id, follower_id)!
-- Stop following a creator; the number of follows removed (0 when there was none).
-- param: creator_id str
-- param: follower_id str
delete from follows
 where account_id = :account_id
   and creator_id = :creator_id
   and follower_id = :follower_id;

-- name: followers(account_id, creator_id, before_created_at, before_id, limit)
-- record_class: Follow
-- A creator's followers, newest first, one keyset page.
-- param: creator_id str
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select f.id, f.account_id, f.creator_id, f.follower_id, f.created_at
  from follows f
 where f.account_id = :account_id
   and f.creator_id = :creator_id
   and (f.created_at, f.id) < (:before_created_at, :before_id)
 order by f.created_at desc, f.id desc
 limit :limit;

-- name: following(account_id, follower_id, before_created_at, before_id, limit)
-- record_class: Follow
-- The creators a user follows, newest follow first, one keyset page.
-- param: follower_id str
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select f.id, f.account_id, f.creator_id, f.follower_id, f.created_at
  from follows f
 where f.account_id = :account_id
   and f.follower_id = :follower_id
   and (f.created_at, f.id) < (:before_created_at, :before_id)
 order by f.created_at desc, f.id desc
 limit :limit;

-- name: follower_count(account_id, creator_id)$
-- How many users follow a creator.
-- returns: int
-- param: creator_id str
select cast(count(*) as bigint)
  from follows f
 where f.account_id = :account_id
   and f.creator_id = :creator_id;

-- name: subscribe(account_id, id, tier_id, subscriber_id, current_period_start, current_period_end, now)<!
-- record_class: Subscription
-- Subscribe a user to an active tier of an active plan, for a first billing period; the
-- creator is the plan's. None if there is no such tier; a UniqueViolation if the user
-- already holds a live (not canceled) subscription to that creator.
-- param: id new_id
-- param: tier_id str
-- param: subscriber_id str
-- param: current_period_start datetime
-- param: current_period_end datetime
-- param: now now
insert into subscriptions (
  account_id, id, creator_id, tier_id, subscriber_id, status, current_period_start,
  current_period_end, created_at, updated_at
)
select :account_id, :id, p.creator_id, t.id, :subscriber_id, 'active', :current_period_start,
       :current_period_end, :now, :now
  from tiers t
  join plans p
    on p.account_id = t.account_id
   and p.id = t.plan_id
 where t.account_id = :account_id
   and p.account_id = :account_id
   and t.id = :tier_id
   and t.status = 'active'
   and p.status = 'active'
returning id, account_id, creator_id, tier_id, subscriber_id, status, current_period_start,
          current_period_end, canceled_at, created_at, updated_at;

-- name: cancel(account_id, id, now)<!
-- record_class: Subscription
-- Cancel a subscription now. Idempotent: canceling again keeps the first cancellation time.
-- None if there is no such subscription.
-- param: id str
-- param: now now
update subscriptions
   set status = 'canceled',
       canceled_at = coalesce(canceled_at, :now),
       updated_at = case when status = 'canceled' then updated_at else :now end
 where account_id = :account_id
   and id = :id
returning id, account_id, creator_id, tier_id, subscriber_id, status, current_period_start,
          current_period_end, canceled_at, created_at, updated_at;

-- name: renew(account_id, id, current_period_end, now)<!
-- record_class: Subscription
-- Start the next billing period: it begins where the current one ends and runs to
-- current_period_end; the subscription is active again. None if the subscription is
-- canceled, missing, or already runs to that end or later (a replayed renewal is a no-op).
-- param: id str
-- param: current_period_end datetime
-- param: now now
update subscriptions
   set current_period_start = current_period_end,
       current_period_end = :current_period_end,
       status = 'active',
       updated_at = :now
 where account_id = :account_id
   and id = :id
   and status <> 'canceled'
   and current_period_end < :current_period_end
returning id, account_id, creator_id, tier_id, subscriber_id, status, current_period_start,
          current_period_end, canceled_at, created_at, updated_at;

-- name: mark_past_due(account_id, id, now)<!
-- record_class: Subscription
-- Mark an active subscription past due (its renewal payment failed); None if it is not active.
-- param: id str
-- param: now now
update subscriptions
   set status = 'past_due',
       updated_at = :now
 where account_id = :account_id
   and id = :id
   and status = 'active'
returning id, account_id, creator_id, tier_id, subscriber_id, status, current_period_start,
          current_period_end, canceled_at, created_at, updated_at;

-- name: list_active(account_id, creator_id, before_created_at, before_id, limit)
-- record_class: Subscription
-- A creator's active subscriptions, newest first, one keyset page.
-- param: creator_id str
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select s.id, s.account_id, s.creator_id, s.tier_id, s.subscriber_id, s.status,
       s.current_period_start, s.current_period_end, s.canceled_at, s.created_at, s.updated_at
  from subscriptions s
 where s.account_id = :account_id
   and s.creator_id = :creator_id
   and s.status = 'active'
   and (s.created_at, s.id) < (:before_created_at, :before_id)
 order by s.created_at desc, s.id desc
 limit :limit;

-- name: find_by_id(account_id, id)^
-- record_class: Subscription
-- One subscription of the account by its id.
-- param: id str
select s.id, s.account_id, s.creator_id, s.tier_id, s.subscriber_id, s.status,
       s.current_period_start, s.current_period_end, s.canceled_at, s.created_at, s.updated_at
  from subscriptions s
 where s.account_id = :account_id
   and s.id = :id;

-- name: find_live(account_id, creator_id, subscriber_id)^
-- record_class: Subscription
-- A user's live (active or past due) subscription to a creator, if any.
-- param: creator_id str
-- param: subscriber_id str
select s.id, s.account_id, s.creator_id, s.tier_id, s.subscriber_id, s.status,
       s.current_period_start, s.current_period_end, s.canceled_at, s.created_at, s.updated_at
  from subscriptions s
 where s.account_id = :account_id
   and s.creator_id = :creator_id
   and s.subscriber_id = :subscriber_id
   and s.status <> 'canceled';

-- Undo 0006_subscriptions.
drop policy tenant_isolation on subscriptions;
drop index subscriptions_tier_idx;
drop index subscriptions_status_idx;
drop index subscriptions_live_idx;
drop table subscriptions;
drop policy tenant_isolation on follows;
drop index follows_follower_idx;
drop index follows_creator_idx;
drop table follows;

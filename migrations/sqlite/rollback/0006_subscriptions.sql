-- Undo 0006_subscriptions.
drop index subscriptions_tier_idx;
drop index subscriptions_status_idx;
drop index subscriptions_live_idx;
drop table subscriptions;
drop index follows_follower_idx;
drop index follows_creator_idx;
drop table follows;

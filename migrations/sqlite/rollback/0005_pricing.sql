-- Undo 0005_pricing.
drop index tiers_plan_idx;
drop table tiers;
drop index plans_creator_idx;
drop table plans;

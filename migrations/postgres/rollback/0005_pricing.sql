-- Undo 0005_pricing.
drop policy tenant_isolation on tiers;
drop index tiers_plan_idx;
drop table tiers;
drop policy tenant_isolation on plans;
drop index plans_creator_idx;
drop table plans;

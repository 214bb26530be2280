-- Undo 0004_engagement.
drop policy tenant_isolation on reposts;
drop table reposts;
drop policy tenant_isolation on comments;
drop index comments_post_idx;
drop table comments;
drop policy tenant_isolation on likes;
drop table likes;

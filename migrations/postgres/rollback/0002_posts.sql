-- Undo 0002_posts. The vector extension stays: other schemas may use it.
drop policy tenant_isolation on post_updates;
drop index post_updates_post_idx;
drop table post_updates;
drop policy tenant_isolation on posts;
drop index posts_embedding_idx;
drop index posts_status_idx;
drop index posts_creator_idx;
drop table posts;

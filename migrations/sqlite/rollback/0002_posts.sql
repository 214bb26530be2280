-- Undo 0002_posts.
drop index post_updates_post_idx;
drop table post_updates;
drop index posts_status_idx;
drop index posts_creator_idx;
drop table posts;

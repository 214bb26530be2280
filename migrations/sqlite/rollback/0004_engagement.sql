-- Undo 0004_engagement.
drop table reposts;
drop index comments_post_idx;
drop table comments;
drop table likes;

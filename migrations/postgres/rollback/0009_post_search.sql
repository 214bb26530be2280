-- Undo 0009_post_search.
drop trigger posts_search_sync on posts;
drop function posts_search_sync();
drop table posts_search;

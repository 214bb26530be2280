-- Undo 0009_post_search.
drop trigger posts_search_delete;
drop trigger posts_search_update_vector;
drop trigger posts_search_update_text;
drop trigger posts_search_insert;
drop table posts_search_versions;
drop table posts_search;

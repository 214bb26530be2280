-- Undo 0009_post_search.
drop index posts_search_idx;

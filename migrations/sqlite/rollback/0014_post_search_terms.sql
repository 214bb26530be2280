-- Undo 0014_post_search_terms: nothing was done on SQLite.
select 1 where 0;

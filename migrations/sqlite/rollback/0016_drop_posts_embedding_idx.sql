-- Undo 0016_drop_posts_embedding_idx: nothing was done on SQLite.
select 1 where 0;

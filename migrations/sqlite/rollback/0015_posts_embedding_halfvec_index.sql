-- Undo 0015_posts_embedding_halfvec_index: nothing was done on SQLite.
select 1 where 0;

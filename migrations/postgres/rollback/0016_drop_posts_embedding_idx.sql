-- transactional: false
-- Undo 0016_drop_posts_embedding_idx: the index as 0002 made it, built concurrently.
set lock_timeout = '5s';
set statement_timeout = '0';  -- no limit: an index build on a big table is slow, not stuck
create index concurrently if not exists posts_embedding_idx on posts using hnsw (embedding vector_cosine_ops);

-- transactional: false
-- Undo 0015_posts_embedding_halfvec_index.
set lock_timeout = '5s';
set statement_timeout = '0';  -- no limit: a concurrent drop waits for the transactions using the table
drop index concurrently if exists posts_embedding_half_idx;

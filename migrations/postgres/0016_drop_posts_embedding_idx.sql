-- transactional: false
-- compatible: yes
-- The full-precision HNSW index of 0002: no query of this release orders by it (0015's
-- half-precision index serves the searches), and every post write paid for keeping it.
-- Older releases still run against this schema: their searches read the account's posts
-- through the account index instead, slower on large accounts but with the same results.
set lock_timeout = '5s';
set statement_timeout = '0';  -- no limit: a concurrent drop waits for the transactions using the table
drop index concurrently if exists posts_embedding_idx;

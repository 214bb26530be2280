-- compatible: yes
-- The Postgres migration of this number drops the full-precision HNSW index that 0015's
-- half-precision one replaces. SQLite (and D1) has no vector index, so nothing applies
-- here: this file keeps the two folders numbered alike. (A no-op that returns no rows.)
update account_directory set kind = kind where 0;

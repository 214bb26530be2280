-- compatible: yes
-- The Postgres migration of this number builds a half-precision HNSW index for similarity
-- search. SQLite (and D1) ranks embeddings in the package, exactly, with no vector index,
-- so nothing applies here: this file keeps the two folders numbered alike. (A no-op that
-- returns no rows: a select would be printed by yoyo.)
update account_directory set kind = kind where 0;

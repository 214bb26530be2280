-- The Postgres migration of this number adds posts_search_terms, a lexeme index the app
-- role can use under row-level security (which keeps `@@` from using a GIN index there).
-- SQLite's FTS5 table (0009) is already an inverted index and SQLite has no row-level
-- security, so nothing applies here: this file keeps the two folders numbered alike.
-- (A no-op that returns no rows: a select would be printed by yoyo.)
update account_directory set kind = kind where 0;

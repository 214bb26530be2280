-- The Postgres migration of this number closes routes around row-level security (TEMP
-- objects, the owner's definer functions). SQLite (and D1) has no roles, no definer
-- functions and no row-level security, so nothing applies here: this file keeps the two
-- folders numbered alike. (A no-op that returns no rows: a select would be printed by yoyo.)
update account_directory set kind = kind where 0;

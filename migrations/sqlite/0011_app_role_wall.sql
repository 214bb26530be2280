-- The Postgres migration of this number closes routes around row-level security (TEMP
-- objects, the owner's definer functions). SQLite (and D1) has no roles, no definer
-- functions and no row-level security, so nothing applies here: this file keeps the two
-- folders numbered alike.
select 1 where 0;

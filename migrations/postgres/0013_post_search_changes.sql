-- The SQLite migration of this number adds a log of the changes behind each account's
-- search token (its in-memory vector search reads it). Postgres searches in the database
-- and keeps no token, so nothing applies here: this file keeps the two folders numbered
-- alike. (An empty block: it takes no lock and returns no rows for yoyo to print.)
do $$
begin
end;
$$;

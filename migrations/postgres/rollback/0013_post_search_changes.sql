-- Undo 0013_post_search_changes: nothing was done on Postgres.
do $$
begin
end;
$$;

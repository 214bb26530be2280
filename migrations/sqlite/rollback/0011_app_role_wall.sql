-- Undo 0011_app_role_wall: nothing was done on SQLite. (A no-op that returns no rows: a select
-- would be printed by yoyo.)
update account_directory set kind = kind where 0;

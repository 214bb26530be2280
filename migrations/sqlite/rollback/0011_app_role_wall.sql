-- Undo 0011_app_role_wall: nothing was done on SQLite.
select 1 where 0;

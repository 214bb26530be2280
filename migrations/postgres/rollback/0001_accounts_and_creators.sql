-- Undo 0001_accounts_and_creators.
drop policy tenant_isolation on creator_labels;
drop table creator_labels;
drop policy tenant_isolation on creators;
drop trigger creators_directory_delete on creators;
drop trigger creators_directory_update on creators;
drop trigger creators_directory_insert on creators;
drop index creators_created_idx;
drop table creators;
drop function account_directory_sync();
drop table account_directory;

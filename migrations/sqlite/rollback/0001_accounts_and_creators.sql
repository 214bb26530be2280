-- Undo 0001_accounts_and_creators.
drop table creator_labels;
drop trigger creators_directory_delete;
drop trigger creators_directory_update;
drop trigger creators_directory_insert;
drop index creators_created_idx;
drop table creators;
drop table account_directory;

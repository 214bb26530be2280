-- Undo 0003_smart_links.
drop trigger smart_links_directory_delete;
drop trigger smart_links_directory_update;
drop trigger smart_links_directory_insert;
drop index smart_links_creator_idx;
drop index smart_links_created_idx;
drop table smart_links;

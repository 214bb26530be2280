-- Undo 0003_smart_links.
drop policy tenant_isolation on smart_links;
drop trigger smart_links_directory_delete on smart_links;
drop trigger smart_links_directory_update on smart_links;
drop trigger smart_links_directory_insert on smart_links;
drop index smart_links_creator_idx;
drop index smart_links_created_idx;
drop table smart_links;

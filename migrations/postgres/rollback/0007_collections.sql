-- Undo 0007_collections.
drop policy tenant_isolation on collection_items;
drop index collection_items_post_idx;
drop table collection_items;
drop policy tenant_isolation on collections;
drop index collections_creator_idx;
drop table collections;

-- Undo 0007_collections.
drop index collection_items_post_idx;
drop table collection_items;
drop index collections_creator_idx;
drop table collections;

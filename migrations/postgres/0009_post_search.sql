-- Full-text search over posts: an expression GIN index on the 'simple' tsvector of title and
-- body. An expression index rather than a stored tsvector column keeps posts identical on
-- both dialects. Like the HNSW index it cannot start with account_id (btree_gin is not
-- available everywhere); every query using it filters on the account, and row-level
-- security still applies.
create index posts_search_idx on posts using gin (to_tsvector('simple', title || ' ' || body));

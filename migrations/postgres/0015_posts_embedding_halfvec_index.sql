-- transactional: false
-- compatible: yes
-- A half-precision HNSW index for similarity search over posts. Each entry is half the
-- size of 0002's, so a search reads fewer pages and computes cheaper distances: on the
-- benchmark's 50,000-post account, the same recall@10 (0.98, hnsw.ef_search 200) in about
-- 20% less time, and an insert of a post with an embedding costs less too
-- (benchmarks/README.md). The build parameters are pgvector's defaults, written out: a
-- larger ef_construction (200) reached that recall with a shorter search list, but
-- doubled the cost of every insert. The ranking statements re-rank its candidates by
-- their exact, full-precision distance. Older releases keep working: their searches
-- use posts_embedding_idx until 0016 drops it, then the account index.
-- Built concurrently (writes go on meanwhile), so in a file of its own, outside a
-- transaction; a failed build leaves an INVALID index: drop it before running this again.
set lock_timeout = '5s';
set statement_timeout = '0';  -- no limit: an index build on a big table is slow, not stuck
create index concurrently if not exists posts_embedding_half_idx
    on posts using hnsw ((cast(embedding as halfvec(384))) halfvec_cosine_ops)
    with (m = 16, ef_construction = 64);

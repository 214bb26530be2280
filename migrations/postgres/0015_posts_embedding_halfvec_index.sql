-- transactional: false
-- compatible: yes
-- A half-precision HNSW index for similarity search over posts, built with a larger
-- candidate list (ef_construction 200; the default is 64). The graph it builds lets a
-- search reach the same recall with a shorter list (hnsw.ef_search 140 instead of 200),
-- and each of its entries is half the size, so a search reads fewer pages and computes
-- cheaper distances: on the benchmark's 50,000-post account, recall@10 0.98 in about 20%
-- less time (benchmarks/README.md). The ranking statements re-rank its candidates by
-- their exact, full-precision distance. Older releases keep working: their searches
-- use posts_embedding_idx until 0016 drops it, then the account index.
-- Built concurrently (writes go on meanwhile), so in a file of its own, outside a
-- transaction; a failed build leaves an INVALID index: drop it before running this again.
set lock_timeout = '5s';
set statement_timeout = '0';  -- no limit: an index build on a big table is slow, not stuck
create index concurrently if not exists posts_embedding_half_idx
    on posts using hnsw ((cast(embedding as halfvec(384))) halfvec_cosine_ops)
    with (m = 16, ef_construction = 200);

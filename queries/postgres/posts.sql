-- Search over posts, Postgres side. `db.posts.search_similar` and `db.posts.search_hybrid`
-- are read-only programs (vesta_sql/programs/search.py) that send two statements in one
-- batch, one round trip (or, for an account search_similar has just seen to be small,
-- search_exact alone): `search_settings` sets the HNSW scan settings for the implicit
-- transaction, then one ranking statement sizes the account (a bounded count) and ranks
-- either by an exact scan of the account (small accounts: every post, through the account
-- index) or through the half-precision HNSW index with iterative search (large accounts),
-- re-ranked by exact distance.

-- name: search_settings(account_id, ef_search, exact_below, prepared)$
-- Sets, for the rest of the implicit transaction (the ranking statement follows in the
-- same batch; a setting made by an earlier statement is certain to be in place when the
-- ranking statement starts its index scan): hnsw.ef_search, relaxed iterative scans, no
-- parallel workers (the planner chose a parallel scan for a large account's exact branch,
-- which never runs, and starting the workers cost more than the search), and the plan
-- cache mode. Without prepared statements every statement is planned for its own
-- parameters whatever the mode, so the mode is force_custom_plan and nothing is counted.
-- With them (`prepared`: true) the mode goes by the account's size, its posts counted up
-- to `exact_below` (an index-only scan, so the cost is bounded; the count runs only then).
-- A large account's ranking statement is planned for that account (force_custom_plan):
-- a generic plan, made for an average account, would read a large one through the
-- account index and sort it. A small account's uses the cached generic plan (Postgres'
-- own choice would keep planning it on every call, about 0.3 ms): its exact branch reads
-- the account through the account index, which a generic plan picks unless the average
-- account holds a large share of the table (then its estimate may favour a scan of the table).
-- param: ef_search int 1..1000
-- param: exact_below int 1..1000000
-- param: prepared bool = false
select set_config('hnsw.ef_search', cast(:ef_search as text), true) as ef_search,
       set_config('hnsw.iterative_scan', 'relaxed_order', true) as iterative_scan,
       set_config('max_parallel_workers_per_gather', '0', true) as parallel_workers,
       set_config('plan_cache_mode',
                  case when not :prepared then 'force_custom_plan'
                       when (select count(*)
                               from (select 1
                                       from posts p
                                      where p.account_id = :account_id
                                      limit :exact_below) s) < :exact_below then 'force_generic_plan'  -- noqa: AM09
                       else 'force_custom_plan' end,
                  true) as plan_cache_mode;

-- name: search_ranked(account_id, embedding, k, candidates, status, exact_below)
-- record_class: RankedHit
-- The k posts nearest to `embedding` by cosine distance, nearest first (ties by id),
-- optionally of one status. The account's size picks the strategy, as in search_settings:
-- below `exact_below` posts the exact branch reads every post of the account and keeps
-- the k nearest (ordered by `cosine_distance`, the function `<=>` calls, which no index
-- order matches: an index order must not stand in for the exact ranking; the distance is
-- computed once per post, where `(… <=> …) + 0` computed it twice); from there on
-- the other branch takes the ids of `candidates` posts from the half-precision
-- HNSW index (iterative scans keep it going until enough of them belong to the account)
-- and ranks them by their exact distance, recomputed in full precision: relaxed
-- iterative scans return rows only roughly in order, and the planner must not take that
-- order as sorted. Only the chosen branch runs: the other one's condition is false
-- before it starts.
-- param: embedding vector
-- param: k int 1..1000
-- param: candidates int 1..4000
-- param: status str? in ('draft', 'published', 'archived') = none
-- param: exact_below int 1..1000000
with sized as materialized (
  select count(*) < :exact_below as exact
    from (select 1
            from posts p
           where p.account_id = :account_id
           limit :exact_below) s  -- noqa: AM09
),
exact_hits as materialized (
  select p.id, cosine_distance(p.embedding, :embedding) as distance
    from posts p
   where p.account_id = :account_id
     and p.embedding is not null
     and (cast(:status as text) is null or p.status = :status)
     and (select z.exact from sized z)
   order by cosine_distance(p.embedding, :embedding), p.id
   limit :k
),
index_hits as materialized (
  select p.id
    from posts p
   where p.account_id = :account_id
     and p.embedding is not null
     and (cast(:status as text) is null or p.status = :status)
     and not (select z.exact from sized z)
   order by cast(p.embedding as halfvec(384)) <=> cast(:embedding as halfvec(384))
   limit :candidates
),
candidates as (
  select e.id, e.distance
    from exact_hits e
  union all
  select p.id, p.embedding <=> :embedding as distance
    from index_hits i
    join posts p on p.id = i.id
   where p.account_id = :account_id
),
ranked as (
  select c.id, c.distance
    from candidates c
   order by c.distance, c.id
   limit :k
)
select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at,
       p.created_at, p.updated_at, r.distance, (select z.exact from sized z) as exact
  from ranked r
  join posts p on p.id = r.id
 where p.account_id = :account_id
 order by r.distance, r.id;

-- name: search_exact(account_id, embedding, k, status)
-- record_class: PostHit
-- search_ranked's exact branch on its own, without sizing the account: for an account the
-- program has just seen below `exact_below` posts (its memo). Exact for an account of any
-- size: one that has grown since costs a longer scan until the program sizes it again.
-- param: embedding vector
-- param: k int 1..1000
-- param: status str? in ('draft', 'published', 'archived') = none
select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at,
       p.created_at, p.updated_at, cosine_distance(p.embedding, :embedding) as distance
  from posts p
 where p.account_id = :account_id
   and p.embedding is not null
   and (cast(:status as text) is null or p.status = :status)
 order by cosine_distance(p.embedding, :embedding), p.id
 limit :k;

-- name: search_index(account_id, embedding, k, candidates, status)
-- record_class: PostHit
-- search_ranked's index branch on its own, without sizing the account: for an account the
-- program has just seen with `exact_below` posts or more (its memo). The ids of
-- `candidates` posts from the half-precision HNSW index (iterative scans keep it going
-- until enough of them belong to the account), ranked by their exact distance. Planning
-- this short statement costs about half as much as planning search_ranked.
-- param: embedding vector
-- param: k int 1..1000
-- param: candidates int 1..4000
-- param: status str? in ('draft', 'published', 'archived') = none
with index_hits as materialized (
  select p.id
    from posts p
   where p.account_id = :account_id
     and p.embedding is not null
     and (cast(:status as text) is null or p.status = :status)
   order by cast(p.embedding as halfvec(384)) <=> cast(:embedding as halfvec(384))
   limit :candidates
),
candidates as materialized (
  -- ordered below by a column of this CTE, which no index order can stand in for
  select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at,
         p.created_at, p.updated_at, p.embedding <=> :embedding as distance
    from index_hits i
    join posts p on p.id = i.id
   where p.account_id = :account_id
)
select c.id, c.account_id, c.creator_id, c.title, c.body, c.status, c.published_at,
       c.created_at, c.updated_at, c.distance
  from candidates c
 order by c.distance, c.id
 limit :k;

-- name: search_hybrid_ranked(account_id, text, embedding, k, candidates, exact_below)
-- record_class: RankedHybridHit
-- Reciprocal rank fusion (1 / (60 + rank), summed over the lists a post is in) of the
-- full-text matches (websearch_to_tsquery over the 'simple' tsvector of title and body,
-- best ts_rank_cd first, read from the stored tsvectors of posts_search) and the
-- `candidates` nearest posts by cosine distance (exact or HNSW, chosen by the account's
-- size, as in search_ranked).
--
-- The text leg: row-level security keeps `@@` from using an index (it is not leakproof),
-- but text equality is, so the posts worth checking come from posts_search_terms (0014,
-- one row per lexeme and post): those holding a lexeme of the query outside its negations
-- (every match holds one). A query without `|` needs all of them, so only the posts of its
-- rarest lexeme are read, less those lacking the next rarest. Only these posts are checked
-- with `@@` and ranked. The leg reads the account's stored tsvectors instead, as before
-- 0014, when that is as fast (a small account, below `exact_below` posts, or 2,000 posts or
-- more to check) or when the query has no such lexeme (only negations: querytree 'T').
-- Terms are stored and looked up by their first 64 characters (see 0014). The results are
-- the same either way. Each row also says whether the account was sized small (`exact`).
-- param: text str
-- param: embedding vector
-- param: k int 1..1000
-- param: candidates int 1..4000
-- param: exact_below int 1..1000000
with sized as materialized (
  select count(*) < :exact_below as exact
    from (select 1
            from posts p
           where p.account_id = :account_id
           limit :exact_below) s  -- noqa: AM09
),
text_terms as (
  -- the query's lexemes outside negations (querytree's output quotes them, doubling ' and \),
  -- each with the account's posts holding it, counted up to 2,000
  select t.term,
         (select count(*)
            from (select 1
                    from posts_search_terms x
                   where x.account_id = :account_id
                     and x.term = t.term
                   limit 2000) c) as hits  -- noqa: AM09
    from (select distinct left(regexp_replace(m.lexeme[1], '([''\\])\1', '\1', 'g'), 64) as term
            from regexp_matches(cast(querytree(websearch_to_tsquery('simple', :text)) as text),
                                '''((?:[^'']|'''')*)''', 'g') as m (lexeme)) t
   where not (select z.exact from sized z)
),
text_plan as (
  -- no `|` outside the lexemes: a match holds every lexeme, so the rarest one's posts will
  -- do, less those without the next rarest, else the posts of every lexeme
  select case when c.conjunction
              then array[(select r.term
                            from text_terms r
                           order by r.hits, r.term
                           limit 1)]
              else array(select e.term
                           from text_terms e) end as probe,
         case when c.conjunction
              then (select n.term
                      from text_terms n
                     where n.hits < 2000
                     order by n.hits, n.term
                     limit 1 offset 1) end as next_rarest,
         not (select z.exact from sized z)
         and coalesce((select case when c.conjunction then min(t.hits) else sum(t.hits) end
                         from text_terms t), 0) < 2000
         and cast(querytree(websearch_to_tsquery('simple', :text)) as text) <> 'T' as indexed
    from (select strpos(regexp_replace(cast(querytree(websearch_to_tsquery('simple', :text)) as text),
                                       '''(?:[^'']|'''')*''', '', 'g'), '|') = 0 as conjunction) c
),
text_scored as materialized (
  -- materialized: the score (null for a post that does not match) is computed once per post
  select x.post_id as id,
         (select ts_rank_cd(s.search_vector, websearch_to_tsquery('simple', :text))
            from posts_search s
           where s.account_id = :account_id
             and s.post_id = x.post_id
             and s.search_vector @@ websearch_to_tsquery('simple', :text)) as score
    from (select distinct x.post_id
            from posts_search_terms x
           where x.account_id = :account_id
             and x.term = any(cast((select p.probe from text_plan p) as text[]))
             and ((select p.next_rarest from text_plan p) is null
                  or exists (select 1
                               from posts_search_terms y
                              where y.account_id = :account_id
                                and y.term = (select p.next_rarest from text_plan p)
                                and y.post_id = x.post_id))) x
   where (select p.indexed from text_plan p)
),
text_hits as (
  select t.id, row_number() over (order by t.score desc, t.id) as rank
    from (select m.id, m.score
            from (select c.id, c.score
                    from text_scored c
                   where c.score is not null
                  union all
                  -- ordered and cut here too, as before 0014: a top-N sort of the scan
                  (select s.post_id as id,
                          ts_rank_cd(s.search_vector, websearch_to_tsquery('simple', :text)) as score
                     from posts_search s
                    where s.account_id = :account_id
                      and s.search_vector @@ websearch_to_tsquery('simple', :text)
                      and not (select p.indexed from text_plan p)
                    order by score desc, s.post_id
                    limit :candidates)) m
           order by m.score desc, m.id
           limit :candidates) t
),
exact_hits as materialized (
  select p.id, cosine_distance(p.embedding, :embedding) as distance
    from posts p
   where p.account_id = :account_id
     and p.embedding is not null
     and (select z.exact from sized z)
   order by cosine_distance(p.embedding, :embedding), p.id
   limit :candidates
),
index_hits as materialized (
  select p.id
    from posts p
   where p.account_id = :account_id
     and p.embedding is not null
     and not (select z.exact from sized z)
   order by cast(p.embedding as halfvec(384)) <=> cast(:embedding as halfvec(384))
   limit :candidates
),
vector_hits as (
  select v.id, row_number() over (order by v.distance, v.id) as rank
    from (select e.id, e.distance
            from exact_hits e
          union all
          select p.id, p.embedding <=> :embedding as distance
            from index_hits i
            join posts p on p.id = i.id
           where p.account_id = :account_id) v
   order by rank
   limit :candidates
),
fused as (
  select h.id,
         sum(1.0 / (60 + h.rank)) as score,
         max(case when h.leg = 'text' then h.rank end) as text_rank,
         max(case when h.leg = 'vector' then h.rank end) as vector_rank
    from (select th.id, th.rank, 'text' as leg from text_hits th
          union all
          select vh.id, vh.rank, 'vector' as leg from vector_hits vh) h
   group by h.id
)
select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at,
       p.created_at, p.updated_at, cast(f.score as double precision) as score,
       f.text_rank, f.vector_rank, (select z.exact from sized z) as exact
  from fused f
  join posts p on p.id = f.id
 where p.account_id = :account_id
 order by f.score desc, p.id
 limit :k;

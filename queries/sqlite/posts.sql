-- Search over posts, SQLite side. `db.posts.search_similar` and `db.posts.search_hybrid` are
-- programs (vesta_sql/programs/search.py): the vector ranking is exact and done in NumPy over
-- the account's embeddings, which the package keeps in memory under the account's search
-- token (posts_search_versions, kept by triggers) and brings up to date after a write from
-- the change log (posts_search_changes) and the posts it names.

-- name: search_version(account_id)$
-- d1: no
-- The account's search token: it changes whenever a post is added or removed or an
-- embedding or status changes; None when the account never had a post. It runs on D1,
-- but its value is random by design (a different one in every database), so it is kept
-- out of the D1-versus-SQLite comparison.
select v.version
  from posts_search_versions v
 where v.account_id = :account_id;

-- name: search_vectors(account_id)^
-- record_class: PostVectors
-- d1: no
-- Every embedded post of the account in one row: ids and statuses as JSON arrays and the
-- float32 embeddings concatenated in the same order (one aggregate pass, so the orders
-- agree). One row instead of one per post is what makes a 10,000-post account quick to
-- load; a result this large is not for D1, which searches differently.
select json_group_array(e.id) as ids,
       json_group_array(e.status) as statuses,
       cast(group_concat(e.embedding, '') as blob) as embeddings
  from (select p.id, p.status, p.embedding
          from posts p
         where p.account_id = :account_id
           and p.embedding is not null) e;

-- name: search_changes(account_id)^
-- record_class: SearchChanges
-- d1: no
-- The account's change log (the triggers keep its last 256 changes), oldest
-- first, as three JSON arrays in the same order: each change's number, the post it
-- concerns (null for none) and the token it gave the account. Random tokens, like
-- search_version's, so kept out of the D1-versus-SQLite comparison.
select json_group_array(c.seq) as seqs,
       json_group_array(c.post_id) as post_ids,
       json_group_array(c.version) as versions
  from (select l.seq, l.post_id, l.version
          from posts_search_changes l
         where l.account_id = :account_id
         order by l.seq) c;

-- name: search_changed(account_id, ids)^
-- record_class: PostVectors
-- d1: no
-- The posts among `ids` that have an embedding, in search_vectors' one-row form: what the
-- package re-reads after a write instead of the whole account.
-- param: ids str_list
select json_group_array(e.id) as ids,
       json_group_array(e.status) as statuses,
       cast(group_concat(e.embedding, '') as blob) as embeddings
  from (select p.id, p.status, p.embedding
          from posts p
         where p.account_id = :account_id
           and p.embedding is not null
           and p.id in (select value from json_each(:ids))) e;

-- name: search_hits(account_id, ids)
-- record_class: PostSummary
-- The posts of the account with the given ids, in no particular order.
-- param: ids str_list
select p.id, p.account_id, p.creator_id, p.title, p.body, p.status, p.published_at,
       p.created_at, p.updated_at
  from posts p
 where p.account_id = :account_id
   and p.id in (select value from json_each(:ids));

-- name: search_hybrid_fused(account_id, match, vector_ids, k, candidates)
-- record_class: HybridHit
-- Reciprocal rank fusion (1 / (60 + rank), summed over the lists a post is in) of the
-- full-text matches (FTS5: posts holding every space-separated word of `match`) and the
-- vector ranking made by the program (`vector_ids`, nearest first).
-- Text matches are ranked by a BM25-style term-frequency score computed from the
-- account's own posts only. FTS5's built-in bm25 is not used: its statistics cover the
-- whole table, which holds every account's posts, so another account's writes would
-- change this account's order. Each word is quoted, so any text is a valid FTS5 query
-- (operators are taken literally); no words (or None), no text matches.
-- param: match str?
-- param: vector_ids str_list
-- param: k int 1..1000
-- param: candidates int 1..4000
with recursive words (word, rest) as (
  select '', trim(:match) || ' '
  union all
  select substr(w.rest, 1, instr(w.rest, ' ') - 1), ltrim(substr(w.rest, instr(w.rest, ' ') + 1))
    from words w
   where w.rest <> ''
),
terms as (
  select group_concat('"' || replace(w.word, '"', '""') || '"', ' ') as fts_query
    from words w
   where w.word <> ''
),
query_words as (
  select distinct lower(w.word) as word
    from words w
   where w.word <> ''
),
matches as (
  -- tokens padded by two spaces each, so that counting ' word ' finds every occurrence
  select s.post_id as id,
         length(s.title) + length(s.body) + 1 as doc_length,
         '  ' || replace(replace(replace(replace(replace(replace(replace(replace(
           lower(s.title || ' ' || s.body),
           char(10), ' '), ',', ' '), '.', ' '), '!', ' '), '?', ' '), ';', ' '), ':', ' '),
           ' ', '  ') || '  ' as padded
    from terms q, posts_search s
   where q.fts_query is not null
     and s.account_id = :account_id
     and posts_search match q.fts_query
),
term_counts as (
  select m.id, m.doc_length,
         (length(m.padded) - length(replace(m.padded, ' ' || qw.word || ' ', ''))) / (length(qw.word) + 2) as tf
    from matches m, query_words qw
),
text_hits as (
  select t.id, row_number() over (order by t.score desc, t.id) as rank
    from (select c.id,
                 sum(c.tf * 2.2 / (c.tf + 1.2 * (0.25 + 0.75 * c.doc_length
                                                 / (select avg(m2.doc_length) from matches m2)))) as score
            from term_counts c
           group by c.id
           order by score desc, c.id
           limit :candidates) t
),
vector_hits as (
  select v.value as id, v.key + 1 as rank
    from json_each(:vector_ids) v
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
       p.created_at, p.updated_at, f.score, f.text_rank, f.vector_rank
  from fused f
  join posts p on p.id = f.id
 where p.account_id = :account_id
 order by f.score desc, p.id
 limit :k;

-- Full-text search the app role can serve from an index: one row per distinct lexeme of
-- each post's stored tsvector (posts_search, 0009), keyed (account_id, term, post_id).
--
-- Why: under row-level security `@@` (not leakproof) may not run before the policy, so the
-- app role's searches read every stored tsvector of the account. Text equality is
-- leakproof, so `term = any(...)` is an index condition under the policy: a search takes
-- its candidates (the posts holding a lexeme the query requires) from this table and
-- checks `@@` on those only. Terms are cut to their first 64 characters, which keeps
-- every index entry small (a lexeme may reach 2047 bytes); a longer lexeme then only adds
-- candidates, never loses one, since the search checks `@@` on each.
--
-- Derived from posts_search like posts_search from posts: not copied or exported, and
-- (like posts_search) it references its source row rather than the account registry.
set local lock_timeout = '5s';
set local statement_timeout = '30min';

create table posts_search_terms (
  account_id text not null,
  term text not null,
  post_id text not null,
  primary key (account_id, term, post_id),
  foreign key (account_id, post_id) references posts_search (account_id, post_id) on delete cascade
);

-- A post's own terms: what its delete (the cascade) and its updates look up.
create index posts_search_terms_post_idx on posts_search_terms (account_id, post_id);

-- The roles that write posts_search (the app role, through the trigger, which runs as the
-- writer) may write this table too: post writes keep working before `vesta-sql app-role`
-- is run again.
do $$
declare
  writer text;
begin
  for writer in
    select distinct cast(cast(a.grantee as regrole) as text)
      from pg_class c
     cross join lateral aclexplode(c.relacl) as a
     where c.oid = cast('posts_search' as regclass)
       and a.privilege_type = 'INSERT'
       and a.grantee not in (0, c.relowner)
  loop
    execute format('grant select, insert, update, delete on posts_search_terms to %s', writer);
  end loop;
end;
$$;

alter table posts_search_terms enable row level security;
alter table posts_search_terms force row level security;
create policy tenant_isolation on posts_search_terms
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

insert into posts_search_terms (account_id, term, post_id)
select distinct s.account_id, left(w.term, 64), s.post_id
  from posts_search s
 cross join lateral unnest(tsvector_to_array(s.search_vector)) as w (term);

analyze posts_search_terms;

-- The trigger of 0009, now also keeping the post's terms in step: on an update, terms the
-- post no longer holds go, new ones come; unchanged ones stay.
create or replace function posts_search_sync() returns trigger
language plpgsql
as $$
declare
  vector tsvector := to_tsvector('simple', new.title || ' ' || new.body);
  terms text[] := array(select distinct left(w.term, 64) from unnest(tsvector_to_array(vector)) as w (term));
begin
  insert into posts_search (account_id, post_id, search_vector)
  values (new.account_id, new.id, vector)
  on conflict (account_id, post_id) do update set search_vector = excluded.search_vector;
  if tg_op = 'UPDATE' then
    delete from posts_search_terms t
     where t.account_id = new.account_id and t.post_id = new.id and t.term <> all (terms);
  end if;
  insert into posts_search_terms (account_id, term, post_id)
  select new.account_id, w.term, new.id
    from unnest(terms) as w (term)
  on conflict (account_id, term, post_id) do nothing;
  return null;
end;
$$;
revoke execute on function posts_search_sync() from public;

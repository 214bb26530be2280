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
-- Derived from posts like posts_search (not copied or exported, no reference to the account
-- registry) and kept in step by a trigger on posts, not by a foreign key to posts_search:
-- the key's check on each of a post's ten or so terms, and the index on (account_id,
-- post_id) its cascade would need, tripled the cost of writing a post; the trigger finds a
-- post's terms through the primary key, from the lexemes of the old text. Measured
-- (executemany of 3,000 posts, as the owner): inserting a post takes 156 us against 61
-- before this migration, an update of its body 158 against 53, a delete 70 against 23.
-- Post writes wait while the table is filled (posts is locked until the trigger is in
-- place): about 4 s for 100,000 posts (a million terms) on a 2-core machine.
set local lock_timeout = '5s';
set local statement_timeout = '30min';

-- The fill below reads every account's posts_search rows. An owner under the tenant policy
-- (neither superuser nor BYPASSRLS) would see none of them and leave the existing posts
-- without terms, so their words would never be found: refuse instead, before anything.
do $$
begin
  if pg_relation_size('posts_search') > 0
     and not (select r.rolsuper or r.rolbypassrls from pg_roles r where r.rolname = current_user) then
    raise exception 'migration 0014 fills posts_search_terms from every account''s rows of posts_search, which row-level security hides from the role %', current_user
      using hint = 'run `vesta-sql migrate` as a superuser or a role with BYPASSRLS (for this run), then run it again';
  end if;
end
$$;

create table posts_search_terms (
  account_id text not null,
  term text not null,
  post_id text not null,
  primary key (account_id, term, post_id)
);

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

-- No post writes between the fill and the trigger: the lock the trigger needs, taken first.
lock table posts in share row exclusive mode;

insert into posts_search_terms (account_id, term, post_id)
select distinct s.account_id, left(w.lexeme, 64), s.post_id
  from posts_search s
 cross join lateral unnest(s.search_vector) as w;

analyze posts_search_terms;

-- A post's terms follow its text, as posts_search does (the same tsvector, made from the
-- same expression): written with the post, replaced by what changed when its title or body
-- changes, deleted with it (a cascade from creators included). The old terms come from the
-- old row's text, so they are found through the primary key.
create function posts_search_terms_sync() returns trigger
language plpgsql
as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    delete from posts_search_terms t
     where t.account_id = old.account_id
       and t.post_id = old.id
       and t.term = any (array(select left(w.lexeme, 64)
                                 from unnest(to_tsvector('simple', old.title || ' ' || old.body)) as w))
       and (tg_op = 'DELETE'
            or t.term <> all (array(select left(w.lexeme, 64)
                                      from unnest(to_tsvector('simple', new.title || ' ' || new.body)) as w)));
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    insert into posts_search_terms (account_id, term, post_id)
    select distinct new.account_id, left(w.lexeme, 64), new.id
      from unnest(to_tsvector('simple', new.title || ' ' || new.body)) as w
    on conflict (account_id, term, post_id) do nothing;
  end if;
  return null;
end;
$$;
-- as 0011 does for the other trigger functions: no one else may put it on a table
revoke execute on function posts_search_terms_sync() from public;

create trigger posts_search_terms_sync
after insert or update of title, body or delete on posts
for each row execute function posts_search_terms_sync();

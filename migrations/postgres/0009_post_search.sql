-- Full-text search over posts: each post's 'simple' tsvector of title and body, stored once
-- in posts_search and kept in step by a trigger.
--
-- Why a stored tsvector and not only an index: under row-level security the planner runs
-- the policy before any operator that is not leakproof, and `@@` is not, so the app role's
-- searches cannot be served by a GIN index; they read the account's rows. Reading stored
-- tsvectors instead of parsing every post's text on every search is what keeps them
-- fast. The GIN index still serves roles that bypass row-level security (owner, admin).
create table posts_search (
  account_id text not null,
  post_id text not null,
  search_vector tsvector not null,
  primary key (account_id, post_id),
  foreign key (account_id, post_id) references posts (account_id, id) on delete cascade
);

create index posts_search_vector_idx on posts_search using gin (search_vector);

alter table posts_search enable row level security;
alter table posts_search force row level security;
create policy tenant_isolation on posts_search
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

insert into posts_search (account_id, post_id, search_vector)
select p.account_id, p.id, to_tsvector('simple', p.title || ' ' || p.body)
  from posts p;

create function posts_search_sync() returns trigger
language plpgsql
as $$
begin
  insert into posts_search (account_id, post_id, search_vector)
  values (new.account_id, new.id, to_tsvector('simple', new.title || ' ' || new.body))
  on conflict (account_id, post_id) do update set search_vector = excluded.search_vector;
  return null;
end;
$$;

create trigger posts_search_sync
after insert or update of title, body on posts
for each row execute function posts_search_sync();

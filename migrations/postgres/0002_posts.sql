-- Posts (with an optional 384-d embedding, HNSW-indexed for cosine search) and their
-- follow-up updates.

create extension if not exists vector;

create table posts (
  account_id text not null,
  id text not null,
  creator_id text not null,
  title text not null check (length(title) between 1 and 500),
  body text not null,
  status text not null check (status in ('draft', 'published', 'archived')),
  published_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  embedding vector(384),
  primary key (account_id, id),
  foreign key (account_id, creator_id) references creators (account_id, id) on delete cascade,
  check (status <> 'published' or published_at is not null)
);

create index posts_creator_idx on posts (account_id, creator_id, created_at, id);
create index posts_status_idx on posts (account_id, status, created_at, id);
-- The one index that does not start with account_id: HNSW indexes a single vector
-- column; similarity queries still filter on the account.
create index posts_embedding_idx on posts using hnsw (embedding vector_cosine_ops);

alter table posts enable row level security;
alter table posts force row level security;
create policy tenant_isolation on posts
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

create table post_updates (
  account_id text not null,
  id text not null,
  post_id text not null,
  body text not null check (length(body) >= 1),
  created_at timestamptz not null,
  primary key (account_id, id),
  foreign key (account_id, post_id) references posts (account_id, id) on delete cascade
);

create index post_updates_post_idx on post_updates (account_id, post_id, created_at, id);

alter table post_updates enable row level security;
alter table post_updates force row level security;
create policy tenant_isolation on post_updates
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

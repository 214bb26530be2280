-- Posts (with an optional 384-d float32 embedding) and their follow-up updates.

create table posts (
  account_id text not null,
  id text not null,
  creator_id text not null,
  title text not null check (length(title) between 1 and 500),
  body text not null,
  status text not null check (status in ('draft', 'published', 'archived')),
  published_at text,
  created_at text not null,
  updated_at text not null,
  embedding blob check (embedding is null or (typeof(embedding) = 'blob' and length(embedding) = 1536)),
  primary key (account_id, id),
  foreign key (account_id, creator_id) references creators (account_id, id) on delete cascade,
  check (status <> 'published' or published_at is not null)
);

create index posts_creator_idx on posts (account_id, creator_id, created_at, id);
create index posts_status_idx on posts (account_id, status, created_at, id);

create table post_updates (
  account_id text not null,
  id text not null,
  post_id text not null,
  body text not null check (length(body) >= 1),
  created_at text not null,
  primary key (account_id, id),
  foreign key (account_id, post_id) references posts (account_id, id) on delete cascade
);

create index post_updates_post_idx on post_updates (account_id, post_id, created_at, id);

-- Engagement on posts: likes, comments and reposts. Deleting a post deletes them.

create table likes (
  account_id text not null,
  id text not null,
  post_id text not null,
  user_id text not null check (length(user_id) between 1 and 255),
  created_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, post_id, user_id),
  foreign key (account_id, post_id) references posts (account_id, id) on delete cascade
);

alter table likes enable row level security;
alter table likes force row level security;
create policy tenant_isolation on likes
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

create table comments (
  account_id text not null,
  id text not null,
  post_id text not null,
  user_id text not null check (length(user_id) between 1 and 255),
  body text not null check (length(body) between 1 and 10000),
  created_at timestamptz not null,
  primary key (account_id, id),
  foreign key (account_id, post_id) references posts (account_id, id) on delete cascade
);

create index comments_post_idx on comments (account_id, post_id, created_at, id);

alter table comments enable row level security;
alter table comments force row level security;
create policy tenant_isolation on comments
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

create table reposts (
  account_id text not null,
  id text not null,
  post_id text not null,
  user_id text not null check (length(user_id) between 1 and 255),
  created_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, post_id, user_id),
  foreign key (account_id, post_id) references posts (account_id, id) on delete cascade
);

alter table reposts enable row level security;
alter table reposts force row level security;
create policy tenant_isolation on reposts
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

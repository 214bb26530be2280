-- Collections: a creator's ordered lists of posts.
-- Item positions are dense, 0..n-1, in each collection; the package's programs keep
-- them so when items move or leave.

create table collections (
  account_id text not null,
  id text not null,
  creator_id text not null,
  title text not null check (length(title) between 1 and 200),
  description text,
  created_at text not null,
  updated_at text not null,
  primary key (account_id, id),
  foreign key (account_id, creator_id) references creators (account_id, id) on delete cascade
);

create index collections_creator_idx on collections (account_id, creator_id, created_at, id);

create table collection_items (
  account_id text not null,
  id text not null,
  collection_id text not null,
  post_id text not null,
  position integer not null check (typeof(position) = 'integer' and position >= 0),
  created_at text not null,
  primary key (account_id, id),
  unique (account_id, collection_id, position),
  unique (account_id, collection_id, post_id),
  foreign key (account_id, collection_id) references collections (account_id, id) on delete cascade,
  foreign key (account_id, post_id) references posts (account_id, id)
);

create index collection_items_post_idx on collection_items (account_id, post_id);

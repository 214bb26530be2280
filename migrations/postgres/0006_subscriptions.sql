-- Subscriptions: free follows of a creator, and paid subscriptions to a tier.
-- Follower and subscriber ids are platform user ids, not tenant rows.

create table follows (
  account_id text not null,
  id text not null,
  creator_id text not null,
  follower_id text not null check (length(follower_id) between 1 and 255),
  created_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, creator_id, follower_id),
  foreign key (account_id, creator_id) references creators (account_id, id) on delete cascade
);

create index follows_creator_idx on follows (account_id, creator_id, created_at, id);
create index follows_follower_idx on follows (account_id, follower_id, created_at, id);

create table subscriptions (
  account_id text not null,
  id text not null,
  creator_id text not null,
  tier_id text not null,
  subscriber_id text not null check (length(subscriber_id) between 1 and 255),
  status text not null check (status in ('active', 'past_due', 'canceled')),
  current_period_start timestamptz not null,
  current_period_end timestamptz not null,
  canceled_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  foreign key (account_id, creator_id) references creators (account_id, id),
  foreign key (account_id, tier_id) references tiers (account_id, id),
  check (current_period_end > current_period_start),
  check ((status = 'canceled') = (canceled_at is not null))
);

-- A subscriber holds at most one live (not canceled) subscription per creator.
create unique index subscriptions_live_idx on subscriptions (account_id, creator_id, subscriber_id)
  where status <> 'canceled';
create index subscriptions_status_idx on subscriptions (account_id, creator_id, status, created_at, id);
create index subscriptions_tier_idx on subscriptions (account_id, tier_id);

-- Row-level security: the database refuses what the façade might miss.

alter table follows enable row level security;
alter table follows force row level security;
create policy tenant_isolation on follows
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table subscriptions enable row level security;
alter table subscriptions force row level security;
create policy tenant_isolation on subscriptions
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

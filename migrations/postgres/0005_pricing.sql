-- Pricing: a creator's plans and their priced tiers.
-- Money is integer minor units (bigint) plus an ISO 4217 currency code. Plans and tiers
-- are archived, never deleted: subscriptions and purchase codes keep pointing at them.

create table plans (
  account_id text not null,
  id text not null,
  creator_id text not null,
  name text not null check (length(name) between 1 and 200),
  description text,
  status text not null check (status in ('active', 'archived')),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  foreign key (account_id, creator_id) references creators (account_id, id)
);

create index plans_creator_idx on plans (account_id, creator_id, created_at, id);

create table tiers (
  account_id text not null,
  id text not null,
  plan_id text not null,
  name text not null check (length(name) between 1 and 200),
  price_amount bigint not null check (price_amount >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  billing_interval text not null check (billing_interval in ('month', 'year')),
  status text not null check (status in ('active', 'archived')),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  foreign key (account_id, plan_id) references plans (account_id, id)
);

create index tiers_plan_idx on tiers (account_id, plan_id, price_amount, id);

-- Row-level security: the database refuses what the façade might miss.

alter table plans enable row level security;
alter table plans force row level security;
create policy tenant_isolation on plans
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table tiers enable row level security;
alter table tiers force row level security;
create policy tenant_isolation on tiers
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

-- Payments: Stripe payments, payouts, revenue shares, payout routes, payment settings,
-- the append-only payment system log, purchase codes and account agents.
-- Money is integer minor units (bigint) plus an ISO 4217 currency code.

create table stripe_payments (
  account_id text not null,
  id text not null,
  creator_id text,
  stripe_payment_intent_id text not null check (length(stripe_payment_intent_id) between 1 and 255),
  amount bigint not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  status text not null check (
    status in ('requires_payment_method', 'processing', 'succeeded', 'failed', 'refunded', 'canceled')
  ),
  description text,
  metadata jsonb not null check (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, stripe_payment_intent_id),
  foreign key (account_id, creator_id) references creators (account_id, id)
);

create index stripe_payments_created_idx on stripe_payments (account_id, created_at, id);
create index stripe_payments_creator_idx on stripe_payments (account_id, creator_id, created_at);

-- Stripe webhooks arrive with a payment-intent id only: the directory maps it to the
-- account, and its primary key keeps intent ids unique across accounts.
create trigger stripe_payments_directory_insert
after insert on stripe_payments
for each row
execute function account_directory_sync('stripe_payment_intent', 'stripe_payment_intent_id');

create trigger stripe_payments_directory_update
after update of stripe_payment_intent_id on stripe_payments
for each row
when (old.stripe_payment_intent_id is distinct from new.stripe_payment_intent_id)
execute function account_directory_sync('stripe_payment_intent', 'stripe_payment_intent_id');

create trigger stripe_payments_directory_delete
after delete on stripe_payments
for each row
execute function account_directory_sync('stripe_payment_intent', 'stripe_payment_intent_id');

create table payouts (
  account_id text not null,
  id text not null,
  recipient_id text not null check (length(recipient_id) between 1 and 255),
  amount bigint not null check (amount > 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  status text not null check (status in ('pending', 'paid', 'failed')),
  failure_reason text,
  paid_at timestamptz,
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  check ((status = 'paid') = (paid_at is not null)),
  check (status = 'failed' or failure_reason is null)
);

create index payouts_status_idx on payouts (account_id, status, created_at, id);
create index payouts_recipient_idx on payouts (account_id, recipient_id, created_at, id);

create table payment_shares (
  account_id text not null,
  id text not null,
  payment_id text not null,
  recipient_id text not null check (length(recipient_id) between 1 and 255),
  amount bigint not null check (amount >= 0),
  currency text not null check (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, payment_id, recipient_id),
  foreign key (account_id, payment_id) references stripe_payments (account_id, id)
);

create index payment_shares_recipient_idx on payment_shares (account_id, recipient_id, currency);

create table payout_routes (
  account_id text not null,
  id text not null,
  recipient_id text not null check (length(recipient_id) between 1 and 255),
  destination_type text not null check (destination_type in ('stripe_connect', 'bank_account')),
  destination_ref text not null check (length(destination_ref) between 1 and 255),
  share_bps integer not null check (share_bps between 0 and 10000),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, recipient_id)
);

create index payout_routes_created_idx on payout_routes (account_id, created_at, id);

create table payment_settings (
  account_id text not null,
  id text not null,
  default_currency text not null check (default_currency ~ '^[A-Z]{3}$'),
  payout_schedule text not null check (payout_schedule in ('daily', 'weekly', 'monthly')),
  statement_descriptor text check (length(statement_descriptor) between 5 and 22),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id)
);

create table payment_system_logs (
  account_id text not null,
  id text not null,
  event_type text not null check (length(event_type) between 1 and 255),
  entity_type text not null check (length(entity_type) between 1 and 255),
  entity_id text not null,
  payload jsonb not null check (jsonb_typeof(payload) = 'object'),
  created_at timestamptz not null,
  primary key (account_id, id)
);

create index payment_system_logs_created_idx on payment_system_logs (account_id, created_at, id);
create index payment_system_logs_entity_idx on payment_system_logs (account_id, entity_type, entity_id, created_at, id);

-- The log is an audit trail: rows are only ever appended.
create function payment_system_logs_append_only() returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
  raise exception 'payment_system_logs is append-only' using errcode = 'restrict_violation';
end;
$$;

create trigger payment_system_logs_append_only
before update or delete on payment_system_logs
for each row execute function payment_system_logs_append_only();

create table purchase_codes (
  account_id text not null,
  id text not null,
  code text not null check (length(code) between 1 and 64),
  tier_id text,
  redeemed_by text,
  redeemed_at timestamptz,
  expires_at timestamptz,
  created_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, code),
  foreign key (account_id, tier_id) references tiers (account_id, id),
  check ((redeemed_by is null) = (redeemed_at is null))
);

create index purchase_codes_unused_idx on purchase_codes (account_id, created_at, id) where redeemed_at is null;
create index purchase_codes_tier_idx on purchase_codes (account_id, tier_id);

create table account_agents (
  account_id text not null,
  id text not null,
  agent_user_id text not null check (length(agent_user_id) between 1 and 255),
  role text not null check (role in ('owner', 'admin', 'finance', 'support')),
  created_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, agent_user_id)
);

create index account_agents_created_idx on account_agents (account_id, created_at, id);

-- Row-level security: the database refuses what the façade might miss.
alter table stripe_payments enable row level security;
alter table stripe_payments force row level security;
create policy tenant_isolation on stripe_payments
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table payouts enable row level security;
alter table payouts force row level security;
create policy tenant_isolation on payouts
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table payment_shares enable row level security;
alter table payment_shares force row level security;
create policy tenant_isolation on payment_shares
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table payout_routes enable row level security;
alter table payout_routes force row level security;
create policy tenant_isolation on payout_routes
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table payment_settings enable row level security;
alter table payment_settings force row level security;
create policy tenant_isolation on payment_settings
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table payment_system_logs enable row level security;
alter table payment_system_logs force row level security;
create policy tenant_isolation on payment_system_logs
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table purchase_codes enable row level security;
alter table purchase_codes force row level security;
create policy tenant_isolation on purchase_codes
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table account_agents enable row level security;
alter table account_agents force row level security;
create policy tenant_isolation on account_agents
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

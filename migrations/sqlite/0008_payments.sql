-- Payments: Stripe payments, payouts, revenue shares, payout routes, payment settings,
-- the append-only payment system log, purchase codes and account agents.
-- Money is integer minor units plus an ISO 4217 currency code.

create table stripe_payments (
  account_id text not null,
  id text not null,
  creator_id text,
  stripe_payment_intent_id text not null check (length(stripe_payment_intent_id) between 1 and 255),
  amount integer not null check (typeof(amount) = 'integer' and amount > 0),
  currency text not null check (currency glob '[A-Z][A-Z][A-Z]'),
  status text not null check (
    status in ('requires_payment_method', 'processing', 'succeeded', 'failed', 'refunded', 'canceled')
  ),
  description text,
  metadata text not null check (json_valid(metadata) and json_type(metadata) = 'object'),
  created_at text not null,
  updated_at text not null,
  primary key (account_id, id),
  unique (account_id, stripe_payment_intent_id),
  foreign key (account_id, creator_id) references creators (account_id, id)
);

create index stripe_payments_created_idx on stripe_payments (account_id, created_at, id);
create index stripe_payments_creator_idx on stripe_payments (account_id, creator_id, created_at);

-- Stripe webhooks arrive with a payment-intent id only: the directory maps it to the account.
create trigger stripe_payments_directory_insert
after insert on stripe_payments
begin
  insert into account_directory (kind, key, account_id)
  values ('stripe_payment_intent', new.stripe_payment_intent_id, new.account_id);
end;

create trigger stripe_payments_directory_update
after update of stripe_payment_intent_id on stripe_payments
when old.stripe_payment_intent_id <> new.stripe_payment_intent_id
begin
  delete from account_directory
   where kind = 'stripe_payment_intent'
     and key = old.stripe_payment_intent_id
     and account_id = old.account_id;
  insert into account_directory (kind, key, account_id)
  values ('stripe_payment_intent', new.stripe_payment_intent_id, new.account_id);
end;

create trigger stripe_payments_directory_delete
after delete on stripe_payments
begin
  delete from account_directory
   where kind = 'stripe_payment_intent'
     and key = old.stripe_payment_intent_id
     and account_id = old.account_id;
end;

create table payouts (
  account_id text not null,
  id text not null,
  recipient_id text not null check (length(recipient_id) between 1 and 255),
  amount integer not null check (typeof(amount) = 'integer' and amount > 0),
  currency text not null check (currency glob '[A-Z][A-Z][A-Z]'),
  status text not null check (status in ('pending', 'paid', 'failed')),
  failure_reason text,
  paid_at text,
  created_at text not null,
  updated_at text not null,
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
  amount integer not null check (typeof(amount) = 'integer' and amount >= 0),
  currency text not null check (currency glob '[A-Z][A-Z][A-Z]'),
  created_at text not null,
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
  share_bps integer not null check (typeof(share_bps) = 'integer' and share_bps between 0 and 10000),
  created_at text not null,
  updated_at text not null,
  primary key (account_id, id),
  unique (account_id, recipient_id)
);

create index payout_routes_created_idx on payout_routes (account_id, created_at, id);

create table payment_settings (
  account_id text not null,
  id text not null,
  default_currency text not null check (default_currency glob '[A-Z][A-Z][A-Z]'),
  payout_schedule text not null check (payout_schedule in ('daily', 'weekly', 'monthly')),
  statement_descriptor text check (length(statement_descriptor) between 5 and 22),
  created_at text not null,
  updated_at text not null,
  primary key (account_id, id),
  unique (account_id)
);

create table payment_system_logs (
  account_id text not null,
  id text not null,
  event_type text not null check (length(event_type) between 1 and 255),
  entity_type text not null check (length(entity_type) between 1 and 255),
  entity_id text not null,
  payload text not null check (json_valid(payload) and json_type(payload) = 'object'),
  created_at text not null,
  primary key (account_id, id)
);

create index payment_system_logs_created_idx on payment_system_logs (account_id, created_at, id);
create index payment_system_logs_entity_idx on payment_system_logs (account_id, entity_type, entity_id, created_at, id);

-- The log is an audit trail: rows are only ever appended.
create trigger payment_system_logs_append_only_update
before update on payment_system_logs
begin
  select raise(abort, 'payment_system_logs is append-only');
end;

create trigger payment_system_logs_append_only_delete
before delete on payment_system_logs
begin
  select raise(abort, 'payment_system_logs is append-only');
end;

create table purchase_codes (
  account_id text not null,
  id text not null,
  code text not null check (length(code) between 1 and 64),
  tier_id text,
  redeemed_by text,
  redeemed_at text,
  expires_at text,
  created_at text not null,
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
  created_at text not null,
  primary key (account_id, id),
  unique (account_id, agent_user_id)
);

create index account_agents_created_idx on account_agents (account_id, created_at, id);

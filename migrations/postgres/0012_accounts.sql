-- Which accounts exist. A write for an account not registered here is refused, so a
-- mistyped account id cannot silently start a phantom tenant: register an account first
-- (db.accounts.register(account_id=…)). One row per account, keyed by account_id: on Citus,
-- a reference table, which every tenant table references. Accounts that already hold
-- rows are registered here; run it as an owner that reads every account (a superuser or
-- BYPASSRLS), else the foreign keys below refuse the rows it could not see.
-- account_deletions (a record of deleted accounts) and the derived directory and search
-- tables do not reference it.

create table accounts (
  account_id text not null primary key check (length(account_id) between 1 and 128),
  created_at timestamptz not null
);

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from account_agents t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from collection_items t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from collections t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from comments t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from creator_labels t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from creators t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from follows t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from likes t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from payment_settings t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from payment_shares t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from payment_system_logs t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from payout_routes t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from payouts t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from plans t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from post_updates t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from posts t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from purchase_codes t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from reposts t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from smart_links t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from stripe_payments t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from subscriptions t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from tiers t
on conflict (account_id) do nothing;

insert into accounts (account_id, created_at)
select distinct t.account_id, now() from account_directory t
on conflict (account_id) do nothing;

alter table accounts enable row level security;
alter table accounts force row level security;
create policy tenant_isolation on accounts
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

alter table account_agents
  add constraint account_agents_account_registered foreign key (account_id) references accounts (account_id);

alter table collection_items
  add constraint collection_items_account_registered foreign key (account_id) references accounts (account_id);

alter table collections
  add constraint collections_account_registered foreign key (account_id) references accounts (account_id);

alter table comments
  add constraint comments_account_registered foreign key (account_id) references accounts (account_id);

alter table creator_labels
  add constraint creator_labels_account_registered foreign key (account_id) references accounts (account_id);

alter table creators
  add constraint creators_account_registered foreign key (account_id) references accounts (account_id);

alter table follows
  add constraint follows_account_registered foreign key (account_id) references accounts (account_id);

alter table likes
  add constraint likes_account_registered foreign key (account_id) references accounts (account_id);

alter table payment_settings
  add constraint payment_settings_account_registered foreign key (account_id) references accounts (account_id);

alter table payment_shares
  add constraint payment_shares_account_registered foreign key (account_id) references accounts (account_id);

alter table payment_system_logs
  add constraint payment_system_logs_account_registered foreign key (account_id) references accounts (account_id);

alter table payout_routes
  add constraint payout_routes_account_registered foreign key (account_id) references accounts (account_id);

alter table payouts
  add constraint payouts_account_registered foreign key (account_id) references accounts (account_id);

alter table plans
  add constraint plans_account_registered foreign key (account_id) references accounts (account_id);

alter table post_updates
  add constraint post_updates_account_registered foreign key (account_id) references accounts (account_id);

alter table posts
  add constraint posts_account_registered foreign key (account_id) references accounts (account_id);

alter table purchase_codes
  add constraint purchase_codes_account_registered foreign key (account_id) references accounts (account_id);

alter table reposts
  add constraint reposts_account_registered foreign key (account_id) references accounts (account_id);

alter table smart_links
  add constraint smart_links_account_registered foreign key (account_id) references accounts (account_id);

alter table stripe_payments
  add constraint stripe_payments_account_registered foreign key (account_id) references accounts (account_id);

alter table subscriptions
  add constraint subscriptions_account_registered foreign key (account_id) references accounts (account_id);

alter table tiers
  add constraint tiers_account_registered foreign key (account_id) references accounts (account_id);

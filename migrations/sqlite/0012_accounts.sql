-- Which accounts exist. A write for an account not registered here is refused, so a
-- mistyped account id cannot silently start a phantom tenant: register an account first
-- (db.accounts.register(account_id=…)). One row per account, keyed by account_id: on Citus,
-- a reference table. Existing accounts (any account holding rows) are registered here.
-- SQLite checks with a trigger per tenant table rather than a foreign key: adding a
-- foreign key would rebuild every table, which on D1 deletes the children of a table
-- referenced with on delete cascade. account_deletions (a record of deleted accounts) and
-- the derived directory and search tables are not checked.

create table accounts (
  account_id text not null primary key check (length(account_id) between 1 and 128),
  created_at text not null
);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from account_agents t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from collection_items t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from collections t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from comments t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from creator_labels t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from creators t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from follows t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from likes t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from payment_settings t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from payment_shares t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from payment_system_logs t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from payout_routes t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from payouts t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from plans t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from post_updates t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from posts t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from purchase_codes t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from reposts t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from smart_links t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from stripe_payments t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from subscriptions t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from tiers t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

insert into accounts (account_id, created_at)
select distinct t.account_id, strftime('%Y-%m-%dT%H:%M:%S', 'now') || '.000000Z'
  from account_directory t
 where not exists (select 1 from accounts a where a.account_id = t.account_id);

create trigger account_agents_account_registered
before insert on account_agents
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger collection_items_account_registered
before insert on collection_items
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger collections_account_registered
before insert on collections
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger comments_account_registered
before insert on comments
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger creator_labels_account_registered
before insert on creator_labels
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger creators_account_registered
before insert on creators
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger follows_account_registered
before insert on follows
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger likes_account_registered
before insert on likes
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger payment_settings_account_registered
before insert on payment_settings
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger payment_shares_account_registered
before insert on payment_shares
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger payment_system_logs_account_registered
before insert on payment_system_logs
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger payout_routes_account_registered
before insert on payout_routes
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger payouts_account_registered
before insert on payouts
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger plans_account_registered
before insert on plans
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger post_updates_account_registered
before insert on post_updates
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger posts_account_registered
before insert on posts
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger purchase_codes_account_registered
before insert on purchase_codes
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger reposts_account_registered
before insert on reposts
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger smart_links_account_registered
before insert on smart_links
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger stripe_payments_account_registered
before insert on stripe_payments
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger subscriptions_account_registered
before insert on subscriptions
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

create trigger tiers_account_registered
before insert on tiers
when not exists (select 1 from accounts a where a.account_id = new.account_id)
begin
  select raise(abort, 'vesta: account not registered');
end;

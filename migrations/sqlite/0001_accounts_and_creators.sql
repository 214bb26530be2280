-- The account directory (the one global table) and creators with their labels.

-- Public keys that arrive without an account (a smart-link slug, a Stripe payment-intent
-- id, an SSO organisation id) map to exactly one account here. Triggers on the tables
-- that own those keys keep it in step; the primary key makes each key globally unique.
create table account_directory (
  kind text not null check (kind in ('smart_link', 'stripe_payment_intent', 'sso_org')),
  key text not null check (length(key) between 1 and 255),
  account_id text not null check (length(account_id) between 1 and 255),
  primary key (kind, key)
);

create table creators (
  account_id text not null,
  id text not null,
  name text not null check (length(name) between 1 and 200),
  slug text not null check (length(slug) between 1 and 100 and slug not glob '*[^a-z0-9-]*'),
  bio text not null,
  email text not null check (length(email) between 3 and 320 and instr(email, '@') > 1),
  workos_org_id text check (length(workos_org_id) between 1 and 255),
  created_at text not null,
  updated_at text not null,
  primary key (account_id, id),
  unique (account_id, slug),
  unique (account_id, email)
);

create index creators_created_idx on creators (account_id, created_at, id);

create trigger creators_directory_insert
after insert on creators
when new.workos_org_id is not null
begin
  insert into account_directory (kind, key, account_id)
  values ('sso_org', new.workos_org_id, new.account_id);
end;

create trigger creators_directory_update
after update of workos_org_id on creators
when old.workos_org_id is not new.workos_org_id
begin
  delete from account_directory
   where kind = 'sso_org'
     and key = old.workos_org_id
     and account_id = old.account_id;
  insert into account_directory (kind, key, account_id)
  select 'sso_org', new.workos_org_id, new.account_id
   where new.workos_org_id is not null;
end;

create trigger creators_directory_delete
after delete on creators
when old.workos_org_id is not null
begin
  delete from account_directory
   where kind = 'sso_org'
     and key = old.workos_org_id
     and account_id = old.account_id;
end;

create table creator_labels (
  account_id text not null,
  id text not null,
  creator_id text not null,
  label text not null check (length(label) between 1 and 100),
  created_at text not null,
  primary key (account_id, id),
  unique (account_id, creator_id, label),
  foreign key (account_id, creator_id) references creators (account_id, id) on delete cascade
);

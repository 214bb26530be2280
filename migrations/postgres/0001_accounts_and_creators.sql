-- The account directory (the one global table) and creators with their labels.

-- Public keys that arrive without an account (a smart-link slug, a Stripe payment-intent
-- id, an SSO organisation id) map to exactly one account here. Triggers on the tables
-- that own those keys keep it in step; the primary key makes each key globally unique.
-- No row-level security: the app role may only read it, and writes go through
-- account_directory_sync below.
create table account_directory (
  kind text not null check (kind in ('smart_link', 'stripe_payment_intent', 'sso_org')),
  key text not null check (length(key) between 1 and 255),
  account_id text not null check (length(account_id) between 1 and 255),
  primary key (kind, key)
);

-- Trigger function shared by every table that owns a directory key:
--   execute function account_directory_sync('<kind>', '<key column>')
-- A null key has no entry. It runs as its owner (security definer) so that the app role,
-- which may only read account_directory, can write through it; the search path is fixed
-- and the directory is named with the trigger table's own schema.
create function account_directory_sync() returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  directory_kind text := tg_argv[0];
  directory text := format('%I.account_directory', tg_table_schema);
  old_key text;
  new_key text;
begin
  if tg_op <> 'INSERT' then
    old_key := to_jsonb(old) ->> tg_argv[1];
  end if;
  if tg_op <> 'DELETE' then
    new_key := to_jsonb(new) ->> tg_argv[1];
  end if;
  if tg_op = 'UPDATE' and old_key is not distinct from new_key then
    return null;
  end if;
  if old_key is not null then
    execute format('delete from %s where kind = $1 and key = $2 and account_id = $3', directory)
      using directory_kind, old_key, old.account_id;
  end if;
  if new_key is not null then
    execute format('insert into %s (kind, key, account_id) values ($1, $2, $3)', directory)
      using directory_kind, new_key, new.account_id;
  end if;
  return null;
end;
$$;

create table creators (
  account_id text not null,
  id text not null,
  name text not null check (length(name) between 1 and 200),
  slug text not null check (length(slug) between 1 and 100 and slug !~ '[^a-z0-9-]'),
  bio text not null,
  email text not null check (length(email) between 3 and 320 and strpos(email, '@') > 1),
  workos_org_id text check (length(workos_org_id) between 1 and 255),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, slug),
  unique (account_id, email)
);

create index creators_created_idx on creators (account_id, created_at, id);

create trigger creators_directory_insert
after insert on creators
for each row
when (new.workos_org_id is not null)
execute function account_directory_sync('sso_org', 'workos_org_id');

create trigger creators_directory_update
after update of workos_org_id on creators
for each row
when (old.workos_org_id is distinct from new.workos_org_id)
execute function account_directory_sync('sso_org', 'workos_org_id');

create trigger creators_directory_delete
after delete on creators
for each row
when (old.workos_org_id is not null)
execute function account_directory_sync('sso_org', 'workos_org_id');

alter table creators enable row level security;
alter table creators force row level security;
create policy tenant_isolation on creators
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

create table creator_labels (
  account_id text not null,
  id text not null,
  creator_id text not null,
  label text not null check (length(label) between 1 and 100),
  created_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, creator_id, label),
  foreign key (account_id, creator_id) references creators (account_id, id) on delete cascade
);

alter table creator_labels enable row level security;
alter table creator_labels force row level security;
create policy tenant_isolation on creator_labels
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

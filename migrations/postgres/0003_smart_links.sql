-- Smart links: one public slug, a map of platform -> destination URL, a click counter.

create table smart_links (
  account_id text not null,
  id text not null,
  creator_id text not null,
  slug text not null check (length(slug) between 1 and 100 and slug !~ '[^a-z0-9-]'),
  title text not null check (length(title) <= 500),
  destinations jsonb not null check (jsonb_typeof(destinations) = 'object'),
  click_count integer not null default 0 check (click_count >= 0),
  created_at timestamptz not null,
  updated_at timestamptz not null,
  primary key (account_id, id),
  unique (account_id, slug),
  foreign key (account_id, creator_id) references creators (account_id, id) on delete cascade
);

create index smart_links_created_idx on smart_links (account_id, created_at, id);
create index smart_links_creator_idx on smart_links (account_id, creator_id, created_at, id);

-- Public redirects arrive with a slug only: the directory maps it to the account, and
-- its primary key keeps slugs unique across accounts.
create trigger smart_links_directory_insert
after insert on smart_links
for each row
execute function account_directory_sync('smart_link', 'slug');

create trigger smart_links_directory_update
after update of slug on smart_links
for each row
when (old.slug is distinct from new.slug)
execute function account_directory_sync('smart_link', 'slug');

create trigger smart_links_directory_delete
after delete on smart_links
for each row
execute function account_directory_sync('smart_link', 'slug');

alter table smart_links enable row level security;
alter table smart_links force row level security;
create policy tenant_isolation on smart_links
  using (account_id = current_setting('vesta.account_id', true))
  with check (account_id = current_setting('vesta.account_id', true));

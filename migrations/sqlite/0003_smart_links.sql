-- Smart links: one public slug, a map of platform -> destination URL, a click counter.

create table smart_links (
  account_id text not null,
  id text not null,
  creator_id text not null,
  slug text not null check (length(slug) between 1 and 100 and slug not glob '*[^a-z0-9-]*'),
  title text not null check (length(title) <= 500),
  destinations text not null check (json_valid(destinations) and json_type(destinations) = 'object'),
  click_count integer not null default 0 check (typeof(click_count) = 'integer' and click_count >= 0),
  created_at text not null,
  updated_at text not null,
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
begin
  insert into account_directory (kind, key, account_id)
  values ('smart_link', new.slug, new.account_id);
end;

create trigger smart_links_directory_update
after update of slug on smart_links
when old.slug <> new.slug
begin
  delete from account_directory
   where kind = 'smart_link'
     and key = old.slug
     and account_id = old.account_id;
  insert into account_directory (kind, key, account_id)
  values ('smart_link', new.slug, new.account_id);
end;

create trigger smart_links_directory_delete
after delete on smart_links
begin
  delete from account_directory
   where kind = 'smart_link'
     and key = old.slug
     and account_id = old.account_id;
end;

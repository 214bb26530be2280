-- Creators of an account, and the labels attached to them.

-- name: create(account_id, id, name, slug, bio, email, workos_org_id, now)<!
-- record_class: Creator
-- Create a creator; a `workos_org_id` is also entered in the account directory (kind 'sso_org').
-- param: id new_id
-- param: name str
-- param: slug str
-- param: bio str = ''
-- param: email str
-- param: workos_org_id str? = none
-- param: now now
insert into creators (account_id, id, name, slug, bio, email, workos_org_id, created_at, updated_at)
values (:account_id, :id, :name, :slug, :bio, :email, :workos_org_id, :now, :now)
returning id, account_id, name, slug, bio, email, workos_org_id, created_at, updated_at;

-- name: find_by_id(account_id, id)^
-- record_class: Creator
-- One creator of the account by id.
-- param: id str
select c.id, c.account_id, c.name, c.slug, c.bio, c.email, c.workos_org_id,
       c.created_at, c.updated_at
  from creators c
 where c.account_id = :account_id
   and c.id = :id;

-- name: find_by_slug(account_id, slug)^
-- record_class: Creator
-- One creator of the account by slug.
-- param: slug str
select c.id, c.account_id, c.name, c.slug, c.bio, c.email, c.workos_org_id,
       c.created_at, c.updated_at
  from creators c
 where c.account_id = :account_id
   and c.slug = :slug;

-- name: find_by_email(account_id, email)^
-- record_class: Creator
-- One creator of the account by email (exact match).
-- param: email str
select c.id, c.account_id, c.name, c.slug, c.bio, c.email, c.workos_org_id,
       c.created_at, c.updated_at
  from creators c
 where c.account_id = :account_id
   and c.email = :email;

-- name: update(account_id, id, name, slug, bio, email, workos_org_id, now)<!
-- record_class: Creator
-- Change the given fields (None keeps the current value); None when there is no such creator.
-- Setting `workos_org_id` moves the creator's directory entry; `unlink_sso_org` removes it.
-- param: id str
-- param: name str? = none
-- param: slug str? = none
-- param: bio str? = none
-- param: email str? = none
-- param: workos_org_id str? = none
-- param: now now
update creators as c
   set name = coalesce(:name, c.name),
       slug = coalesce(:slug, c.slug),
       bio = coalesce(:bio, c.bio),
       email = coalesce(:email, c.email),
       workos_org_id = coalesce(:workos_org_id, c.workos_org_id),
       updated_at = :now
 where c.account_id = :account_id
   and c.id = :id
returning id, account_id, name, slug, bio, email, workos_org_id, created_at, updated_at;

-- name: unlink_sso_org(account_id, id, now)<!
-- record_class: Creator
-- Remove the creator's SSO organisation (and its directory entry); None when there is no such creator.
-- param: id str
-- param: now now
update creators as c
   set workos_org_id = null,
       updated_at = :now
 where c.account_id = :account_id
   and c.id = :id
returning id, account_id, name, slug, bio, email, workos_org_id, created_at, updated_at;

-- name: list(account_id, before_created_at, before_id, limit)
-- record_class: Creator
-- Creators of the account, newest first; pass the last row's created_at and id for the next page.
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select c.id, c.account_id, c.name, c.slug, c.bio, c.email, c.workos_org_id,
       c.created_at, c.updated_at
  from creators c
 where c.account_id = :account_id
   and (c.created_at, c.id) < (:before_created_at, :before_id)
 order by c.created_at desc, c.id desc
 limit :limit;

-- name: delete(account_id, id)!
-- Delete a creator with its labels, posts and smart links; returns 1, or 0 when there was none.
-- param: id str
delete from creators as c
 where c.account_id = :account_id
   and c.id = :id;

-- name: add_label(account_id, id, creator_id, label, now)!
-- Attach a label to a creator; returns 1 when added, 0 when the creator already had it.
-- param: id new_id
-- param: creator_id str
-- param: label str
-- param: now now
insert into creator_labels (account_id, id, creator_id, label, created_at)
values (:account_id, :id, :creator_id, :label, :now)
on conflict (account_id, creator_id, label) do nothing;

-- name: remove_label(account_id, creator_id, label)!
-- Detach a label from a creator; returns 1 when removed, 0 when it was not attached.
-- param: creator_id str
-- param: label str
delete from creator_labels as cl
 where cl.account_id = :account_id
   and cl.creator_id = :creator_id
   and cl.label = :label;

-- name: list_labels(account_id, creator_id)
-- record_class: CreatorLabel
-- The labels of one creator, in label order.
-- param: creator_id str
select cl.id, cl.account_id, cl.creator_id, cl.label, cl.created_at
  from creator_labels cl
 where cl.account_id = :account_id
   and cl.creator_id = :creator_id
 order by cl.label;

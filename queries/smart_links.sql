-- Smart links: a public slug (entered in the account directory, kind 'smart_link')
-- pointing at a creator's destinations by platform.

-- name: create(account_id, id, creator_id, slug, title, destinations, now)<!
-- record_class: SmartLink
-- Create a smart link; a slug already taken by any account raises UniqueViolation.
-- param: id new_id
-- param: creator_id str
-- param: slug str
-- param: title str = ''
-- param: destinations json
-- param: now now
insert into smart_links (account_id, id, creator_id, slug, title, destinations, click_count,
                         created_at, updated_at)
values (:account_id, :id, :creator_id, :slug, :title, :destinations, 0, :now, :now)
returning id, account_id, creator_id, slug, title, destinations, click_count,
          created_at, updated_at;

-- name: find_by_id(account_id, id)^
-- record_class: SmartLink
-- One smart link of the account by id.
-- param: id str
select sl.id, sl.account_id, sl.creator_id, sl.slug, sl.title, sl.destinations,
       sl.click_count, sl.created_at, sl.updated_at
  from smart_links sl
 where sl.account_id = :account_id
   and sl.id = :id;

-- name: find_by_slug(account_id, slug)^
-- record_class: SmartLink
-- One smart link of the account by slug (resolve the account first for a public slug).
-- param: slug str
select sl.id, sl.account_id, sl.creator_id, sl.slug, sl.title, sl.destinations,
       sl.click_count, sl.created_at, sl.updated_at
  from smart_links sl
 where sl.account_id = :account_id
   and sl.slug = :slug;

-- name: update(account_id, id, slug, title, destinations, now)<!
-- record_class: SmartLink
-- Change the given fields (None keeps the current value); `destinations` replaces the whole
-- map. A new slug moves the directory entry. None when there is no such link.
-- param: id str
-- param: slug str? = none
-- param: title str? = none
-- param: destinations json? = none
-- param: now now
update smart_links as sl
   set slug = coalesce(:slug, sl.slug),
       title = coalesce(:title, sl.title),
       destinations = coalesce(:destinations, sl.destinations),
       updated_at = :now
 where sl.account_id = :account_id
   and sl.id = :id
returning id, account_id, creator_id, slug, title, destinations, click_count,
          created_at, updated_at;

-- name: record_click(account_id, slug)<!
-- record_class: SmartLink
-- Count one visit atomically and return the link (with its destinations); None for an unknown slug.
-- param: slug str
update smart_links as sl
   set click_count = sl.click_count + 1
 where sl.account_id = :account_id
   and sl.slug = :slug
returning id, account_id, creator_id, slug, title, destinations, click_count,
          created_at, updated_at;

-- name: list(account_id, creator_id, before_created_at, before_id, limit)
-- record_class: SmartLink
-- Smart links of the account (optionally of one creator), newest first; keyset on (created_at, id).
-- param: creator_id str? = none
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select sl.id, sl.account_id, sl.creator_id, sl.slug, sl.title, sl.destinations,
       sl.click_count, sl.created_at, sl.updated_at
  from smart_links sl
 where sl.account_id = :account_id
   and (cast(:creator_id as text) is null or sl.creator_id = :creator_id)
   and (sl.created_at, sl.id) < (:before_created_at, :before_id)
 order by sl.created_at desc, sl.id desc
 limit :limit;

-- name: delete(account_id, id)!
-- Delete a smart link and its directory entry; returns 1, or 0 when there was none.
-- param: id str
delete from smart_links as sl
 where sl.account_id = :account_id
   and sl.id = :id;

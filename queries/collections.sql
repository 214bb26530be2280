-- name: create(account_id, id, creator_id, title, description, now)<!
-- record_class: Collection
-- Create an empty collection for one of the account's creators.
-- param: id new_id
-- param: creator_id str
-- param: title str
-- param: description str? = none
-- param: now now
insert into collections (account_id, id, creator_id, title, description, created_at, updated_at)
values (:account_id, :id, :creator_id, :title, :description, :now, :now)
returning id, account_id, creator_id, title, description, created_at, updated_at;

-- name: find_by_id(account_id, id)^
-- record_class: Collection
-- One collection of the account by its id.
-- param: id str
select c.id, c.account_id, c.creator_id, c.title, c.description, c.created_at, c.updated_at
  from collections c
 where c.account_id = :account_id
   and c.id = :id;

-- name: list_by_creator(account_id, creator_id, before_created_at, before_id, limit)
-- record_class: Collection
-- A creator's collections, newest first, one keyset page.
-- param: creator_id str
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select c.id, c.account_id, c.creator_id, c.title, c.description, c.created_at, c.updated_at
  from collections c
 where c.account_id = :account_id
   and c.creator_id = :creator_id
   and (c.created_at, c.id) < (:before_created_at, :before_id)
 order by c.created_at desc, c.id desc
 limit :limit;

-- name: delete(account_id, id)!
-- Delete a collection and its items (the posts stay); the number of collections removed.
-- param: id str
delete from collections
 where account_id = :account_id
   and id = :id;

-- name: add_item(account_id, id, collection_id, post_id, now)<!
-- record_class: CollectionItem
-- Append a post at the end of a collection (position = last + 1) in one statement.
-- None if the account has no such collection; a UniqueViolation if the post is already
-- in it (or, on Postgres, if a concurrent append took the same position: retry).
-- param: id new_id
-- param: collection_id str
-- param: post_id str
-- param: now now
insert into collection_items (account_id, id, collection_id, post_id, position, created_at)
select :account_id, :id, c.id, :post_id,
       coalesce(
         (select max(ci.position) + 1
            from collection_items ci
           where ci.account_id = :account_id
             and ci.collection_id = c.id),
         0
       ),
       :now
  from collections c
 where c.account_id = :account_id
   and c.id = :collection_id
returning id, account_id, collection_id, post_id, position, created_at;

-- name: list_items(account_id, collection_id, after_position, limit)
-- record_class: CollectionItem
-- A collection's items in order, one keyset page on the position.
-- param: collection_id str
-- param: after_position int = -1
-- param: limit int 1..1000 = 100
select ci.id, ci.account_id, ci.collection_id, ci.post_id, ci.position, ci.created_at
  from collection_items ci
 where ci.account_id = :account_id
   and ci.collection_id = :collection_id
   and ci.position > :after_position
 order by ci.position
 limit :limit;

-- name: find_item(account_id, collection_id, id)^
-- record_class: CollectionItem
-- One item of a collection by its id.
-- param: collection_id str
-- param: id str
select ci.id, ci.account_id, ci.collection_id, ci.post_id, ci.position, ci.created_at
  from collection_items ci
 where ci.account_id = :account_id
   and ci.collection_id = :collection_id
   and ci.id = :id;

-- name: lock_collection(account_id, id)$
-- The collection's id, None if the account has none such. Programs that renumber items
-- call it first: on Postgres it locks the collection until the transaction ends.
-- returns: str
-- param: id str
select c.id
  from collections c
 where c.account_id = :account_id
   and c.id = :id;

-- name: position_end(account_id, collection_id)$
-- One past the last position of a collection (its item count, positions being dense).
-- returns: int
-- param: collection_id str
select coalesce(max(ci.position) + 1, 0)
  from collection_items ci
 where ci.account_id = :account_id
   and ci.collection_id = :collection_id;

-- name: lift_positions(account_id, collection_id, low, high, lift)!
-- First half of a renumbering (used by the move_item and remove_item programs): lift the
-- items at positions low..high by `lift` (at least the position end), above every other
-- item, so that the second half never meets a taken position.
-- param: collection_id str
-- param: low int
-- param: high int
-- param: lift int
update collection_items
   set position = position + :lift
 where account_id = :account_id
   and collection_id = :collection_id
   and position between :low and :high;

-- name: settle_positions(account_id, collection_id, lift, shift, item_id, position)!
-- Second half of a renumbering: bring the lifted items back down shifted by `shift`
-- (-1 or +1), except item `item_id`, which lands at `position`.
-- param: collection_id str
-- param: lift int
-- param: shift int
-- param: item_id str
-- param: position int
update collection_items
   set position = case when id = :item_id then :position else position - :lift + :shift end
 where account_id = :account_id
   and collection_id = :collection_id
   and position >= :lift;

-- name: delete_item(account_id, collection_id, id)!
-- Delete one item row, leaving a gap (used by the remove_item program, which closes it).
-- param: collection_id str
-- param: id str
delete from collection_items
 where account_id = :account_id
   and collection_id = :collection_id
   and id = :id;

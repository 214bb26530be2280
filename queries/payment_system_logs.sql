-- Append-only: no query here updates or deletes a log row (triggers refuse it anyway).

-- name: append(account_id, id, event_type, entity_type, entity_id, payload, now)<!
-- record_class: PaymentSystemLog
-- Append one event to the account's payment log.
-- param: id new_id
-- param: event_type str
-- param: entity_type str
-- param: entity_id str
-- param: payload json
-- param: now now
insert into payment_system_logs (account_id, id, event_type, entity_type, entity_id, payload, created_at)
values (:account_id, :id, :event_type, :entity_type, :entity_id, :payload, :now)
returning id, account_id, event_type, entity_type, entity_id, payload, created_at;

-- name: list(account_id, before_created_at, before_id, limit)
-- record_class: PaymentSystemLog
-- The account's log, newest first, one keyset page.
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select psl.id, psl.account_id, psl.event_type, psl.entity_type, psl.entity_id, psl.payload,
       psl.created_at
  from payment_system_logs psl
 where psl.account_id = :account_id
   and (psl.created_at, psl.id) < (:before_created_at, :before_id)
 order by psl.created_at desc, psl.id desc
 limit :limit;

-- name: list_for_entity(account_id, entity_type, entity_id, before_created_at, before_id, limit)
-- record_class: PaymentSystemLog
-- The log of one entity (e.g. one payout), newest first, one keyset page.
-- param: entity_type str
-- param: entity_id str
-- param: before_created_at datetime = max
-- param: before_id str = ''
-- param: limit int 1..1000 = 50
select psl.id, psl.account_id, psl.event_type, psl.entity_type, psl.entity_id, psl.payload,
       psl.created_at
  from payment_system_logs psl
 where psl.account_id = :account_id
   and psl.entity_type = :entity_type
   and psl.entity_id = :entity_id
   and (psl.created_at, psl.id) < (:before_created_at, :before_id)
 order by psl.created_at desc, psl.id desc
 limit :limit;

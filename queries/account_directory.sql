-- The account directory: the one sanctioned way into an account from outside
-- (a public smart-link slug, a Stripe payment-intent id, an SSO org id).
-- The tenant guard knows this file by name: its queries may only return an account id.
-- Rows are kept in step by triggers on the tables that own the keys.

-- name: resolve(kind, key)$
-- The account owning a public key, or nothing.
-- param: kind str in ('smart_link', 'stripe_payment_intent', 'sso_org')
-- param: key str
select d.account_id
  from account_directory d
 where d.kind = :kind
   and d.key = :key;

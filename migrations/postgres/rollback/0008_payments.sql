-- Undo 0008_payments (policies, triggers and indexes go with their tables).
drop table account_agents;
drop table purchase_codes;
drop trigger payment_system_logs_append_only on payment_system_logs;
drop table payment_system_logs;
drop function payment_system_logs_append_only();
drop table payment_settings;
drop table payout_routes;
drop table payment_shares;
drop table payouts;
drop trigger stripe_payments_directory_delete on stripe_payments;
drop trigger stripe_payments_directory_update on stripe_payments;
drop trigger stripe_payments_directory_insert on stripe_payments;
delete from account_directory where kind = 'stripe_payment_intent';
drop table stripe_payments;

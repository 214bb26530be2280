-- The database wall under row-level security: routes by which the app role (which owns
-- nothing) could run the owner's code on rows it made up.
--
-- 1. No TEMP objects for PUBLIC (the app role has no grant of its own): a TEMP view named
--    account_directory could shadow the real one, and a TEMP table's trigger could call
--    the owner's definer function with any account and key. Only the database owner can
--    take this privilege away: run by another role it is a warning, and `vesta-sql app-role`
--    refuses to finish while the app role can still create TEMP objects.
do $$
begin
  execute format('revoke temporary on database %I from public', current_database());
end;
$$;

-- 2. The owner's trigger functions are not executable by PUBLIC. The owner's own triggers
--    still fire them (EXECUTE is checked when a trigger is created, not when it fires); a
--    trigger of anyone else's cannot be created on them.
revoke execute on function account_directory_sync() from public;
revoke execute on function posts_search_sync() from public;
revoke execute on function payment_system_logs_append_only() from public;

-- 3. The definer function checks what it fired for: one of the three tables that own a
--    directory key (by name, with that table's kind and key column), a permanent table
--    owned by the directory's owner, an AFTER ROW trigger. Its search path stays pinned.
create or replace function account_directory_sync() returns trigger
language plpgsql
security definer
set search_path = pg_catalog, pg_temp
as $$
declare
  directory_kind text := tg_argv[0];
  key_column text := tg_argv[1];
  directory regclass := to_regclass(format('%I.account_directory', tg_table_schema));
  fired_for pg_class;
  old_key text;
  new_key text;
begin
  select * into fired_for from pg_class c where c.oid = tg_relid;
  if tg_nargs <> 2 or tg_when <> 'AFTER' or tg_level <> 'ROW'
     or (tg_table_name, directory_kind, key_column) not in (
          ('creators', 'sso_org', 'workos_org_id'),
          ('smart_links', 'smart_link', 'slug'),
          ('stripe_payments', 'stripe_payment_intent', 'stripe_payment_intent_id'))
     or directory is null
     or fired_for.relpersistence <> 'p'
     or fired_for.relowner <> (select c.relowner from pg_class c where c.oid = directory)
     or (select c.relkind from pg_class c where c.oid = directory) <> 'r' then
    raise exception 'account_directory_sync may only fire for the tables that own a directory key, not for %.%',
      tg_table_schema, tg_table_name
      using errcode = 'insufficient_privilege';
  end if;
  if tg_op <> 'INSERT' then
    old_key := to_jsonb(old) ->> key_column;
  end if;
  if tg_op <> 'DELETE' then
    new_key := to_jsonb(new) ->> key_column;
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
revoke execute on function account_directory_sync() from public;

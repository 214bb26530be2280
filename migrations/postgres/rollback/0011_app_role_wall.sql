-- Undo 0011_app_role_wall: the directory function as 0001 made it, EXECUTE and TEMP for PUBLIC again.
create or replace function account_directory_sync() returns trigger
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

grant execute on function account_directory_sync() to public;
grant execute on function posts_search_sync() to public;
grant execute on function payment_system_logs_append_only() to public;

do $$
begin
  execute format('grant temporary on database %I to public', current_database());
end;
$$;

-- Undo 0014_post_search_terms: the trigger function as 0009 made it, then the terms table.
set local lock_timeout = '5s';
set local statement_timeout = '60s';

create or replace function posts_search_sync() returns trigger
language plpgsql
as $$
begin
  insert into posts_search (account_id, post_id, search_vector)
  values (new.account_id, new.id, to_tsvector('simple', new.title || ' ' || new.body))
  on conflict (account_id, post_id) do update set search_vector = excluded.search_vector;
  return null;
end;
$$;
revoke execute on function posts_search_sync() from public;

drop table posts_search_terms;

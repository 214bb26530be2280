-- Undo 0013_post_search_changes: 0009's triggers again, without the change log.
drop trigger posts_search_insert;
drop trigger posts_search_update_vector;
drop trigger posts_search_delete;

create trigger posts_search_insert
after insert on posts
begin
  insert into posts_search (account_id, post_id, title, body)
  values (new.account_id, new.id, new.title, new.body);
  insert or replace into posts_search_versions (account_id, version)
  values (new.account_id, lower(hex(randomblob(16))));
end;

create trigger posts_search_update_vector
after update of embedding, status, account_id, id on posts
begin
  insert or replace into posts_search_versions (account_id, version)
  values (old.account_id, lower(hex(randomblob(16))));
  insert or replace into posts_search_versions (account_id, version)
  values (new.account_id, lower(hex(randomblob(16))));
end;

create trigger posts_search_delete
after delete on posts
begin
  delete from posts_search
   where account_id = old.account_id
     and post_id = old.id;
  insert or replace into posts_search_versions (account_id, version)
  values (old.account_id, lower(hex(randomblob(16))));
end;

drop table posts_search_changes;

-- A short log of the changes behind each account's search token, so that the package can
-- bring the embeddings it keeps in memory up to date from the posts that changed instead of
-- reloading the whole account after every write.
--
-- Every change that gives an account a new token (posts_search_versions, migration 0009)
-- is also written here: a number per account (seq, one more than the account's last), the
-- post it concerns and the new token. The package finds the newest token it holds among
-- the account's rows, re-reads only the posts named after it, and reloads in full when it
-- finds none (a log pruned past it, a copied database that went its own way). The triggers
-- keep the last 256 changes of each account. A row with no post marks a token without a
-- known change (the one each account had when this migration ran).
--
-- The triggers of 0009 that change the token are replaced, under the same names, by ones
-- that also write the log. Two more changes: the update trigger fires only when a value
-- that matters to vector search really changed (an edit of the title alone keeps the
-- account's token), and no statement of a trigger carries a conflict clause (an outer
-- `insert or ignore` would have turned 0009's `insert or replace` into an ignore).
create table posts_search_changes (
  account_id text not null,
  seq integer not null,
  post_id text,
  version text not null,
  primary key (account_id, seq)
);

insert into posts_search_changes (account_id, seq, post_id, version)
select v.account_id, 0, null, v.version
  from posts_search_versions v;

drop trigger posts_search_insert;
drop trigger posts_search_update_vector;
drop trigger posts_search_delete;

create trigger posts_search_insert
after insert on posts
begin
  insert into posts_search (account_id, post_id, title, body)
  values (new.account_id, new.id, new.title, new.body);
  insert into posts_search_versions (account_id, version)
  select new.account_id, ''
   where not exists (select 1 from posts_search_versions v where v.account_id = new.account_id);
  update posts_search_versions
     set version = lower(hex(randomblob(16)))
   where account_id = new.account_id;
  insert into posts_search_changes (account_id, seq, post_id, version)
  select v.account_id,
         coalesce((select max(c.seq) from posts_search_changes c where c.account_id = v.account_id), 0) + 1,
         new.id, v.version
    from posts_search_versions v
   where v.account_id = new.account_id;
  delete from posts_search_changes
   where account_id = new.account_id
     and seq <= (select max(c.seq) from posts_search_changes c where c.account_id = new.account_id) - 256;
end;

create trigger posts_search_update_vector
after update of embedding, status, account_id, id on posts
when old.embedding is not new.embedding
  or old.status is not new.status
  or old.account_id is not new.account_id
  or old.id is not new.id
begin
  update posts_search_versions
     set version = lower(hex(randomblob(16)))
   where account_id = old.account_id;
  insert into posts_search_changes (account_id, seq, post_id, version)
  select v.account_id,
         coalesce((select max(c.seq) from posts_search_changes c where c.account_id = v.account_id), 0) + 1,
         old.id, v.version
    from posts_search_versions v
   where v.account_id = old.account_id;
  delete from posts_search_changes
   where account_id = old.account_id
     and seq <= (select max(c.seq) from posts_search_changes c where c.account_id = old.account_id) - 256;
  insert into posts_search_versions (account_id, version)
  select new.account_id, ''
   where not exists (select 1 from posts_search_versions v where v.account_id = new.account_id);
  update posts_search_versions
     set version = lower(hex(randomblob(16)))
   where account_id = new.account_id;
  insert into posts_search_changes (account_id, seq, post_id, version)
  select v.account_id,
         coalesce((select max(c.seq) from posts_search_changes c where c.account_id = v.account_id), 0) + 1,
         new.id, v.version
    from posts_search_versions v
   where v.account_id = new.account_id;
  delete from posts_search_changes
   where account_id = new.account_id
     and seq <= (select max(c.seq) from posts_search_changes c where c.account_id = new.account_id) - 256;
end;

create trigger posts_search_delete
after delete on posts
begin
  delete from posts_search
   where account_id = old.account_id
     and post_id = old.id;
  update posts_search_versions
     set version = lower(hex(randomblob(16)))
   where account_id = old.account_id;
  insert into posts_search_changes (account_id, seq, post_id, version)
  select v.account_id,
         coalesce((select max(c.seq) from posts_search_changes c where c.account_id = v.account_id), 0) + 1,
         old.id, v.version
    from posts_search_versions v
   where v.account_id = old.account_id;
  delete from posts_search_changes
   where account_id = old.account_id
     and seq <= (select max(c.seq) from posts_search_changes c where c.account_id = old.account_id) - 256;
end;

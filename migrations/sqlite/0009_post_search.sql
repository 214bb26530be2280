-- Search over posts: a full-text index (FTS5, which D1 supports) kept in step with posts by
-- triggers, and a per-account change token for the vector ranking done in the package.
--
-- posts_search holds its own copy of title and body (a contentful FTS5 table: posts has no
-- stable integer key to point at); account_id is unindexed and every query filters on it.
create virtual table posts_search using fts5(
  account_id unindexed,
  post_id unindexed,
  title,
  body,
  tokenize = 'unicode61 remove_diacritics 2'
);

-- A random token that changes whenever an account's posts change in a way that matters to
-- vector search (a post added or removed, an embedding or a status changed). The package
-- keeps an account's embeddings in memory between searches and reuses them only while the
-- token it read in the same transaction is the one they were loaded with.
create table posts_search_versions (
  account_id text not null,
  version text not null,
  primary key (account_id)
);

insert into posts_search (account_id, post_id, title, body)
select p.account_id, p.id, p.title, p.body
  from posts p;

insert into posts_search_versions (account_id, version)
select p.account_id, lower(hex(randomblob(16)))
  from posts p
 group by p.account_id;

create trigger posts_search_insert
after insert on posts
begin
  insert into posts_search (account_id, post_id, title, body)
  values (new.account_id, new.id, new.title, new.body);
  insert or replace into posts_search_versions (account_id, version)
  values (new.account_id, lower(hex(randomblob(16))));
end;

create trigger posts_search_update_text
after update of title, body, account_id, id on posts
begin
  delete from posts_search
   where account_id = old.account_id
     and post_id = old.id;
  insert into posts_search (account_id, post_id, title, body)
  values (new.account_id, new.id, new.title, new.body);
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

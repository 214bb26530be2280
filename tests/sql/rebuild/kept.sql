-- rebuild shelves (add a check), keeping the children: copy them, rebuild, re-insert, drop the copy
create table books_keep as select * from books;
create table shelves_new (
  account_id text not null,
  id text not null,
  name text not null check (length(name) > 0),
  primary key (account_id, id)
);
insert into shelves_new select account_id, id, name from shelves;
drop table shelves;
alter table shelves_new rename to shelves;
insert into books select * from books_keep;
drop table books_keep;

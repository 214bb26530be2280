-- rebuild shelves (add a check) the way generators write it: the children are lost on D1
pragma foreign_keys = off;
create table shelves_new (
  account_id text not null,
  id text not null,
  name text not null check (length(name) > 0),
  primary key (account_id, id)
);
insert into shelves_new select account_id, id, name from shelves;
drop table shelves;
alter table shelves_new rename to shelves;
pragma foreign_keys = on;

-- a parent whose children reference it with on delete cascade, and a few rows
create table shelves (
  account_id text not null,
  id text not null,
  name text not null,
  primary key (account_id, id)
);
create table books (
  account_id text not null,
  id text not null,
  shelf_id text not null,
  title text not null,
  primary key (account_id, id),
  foreign key (account_id, shelf_id) references shelves (account_id, id) on delete cascade
);
insert into shelves values ('acc_1', 's1', 'fiction'), ('acc_1', 's2', 'poetry');
insert into books values ('acc_1', 'b1', 's1', 'Dune'), ('acc_1', 'b2', 's1', 'Emma'), ('acc_1', 'b3', 's2', 'Odes');

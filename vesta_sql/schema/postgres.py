"""Read the schema model from an open Postgres connection (pg_catalog, the current schema only).

The connection is any psycopg connection; this module never imports psycopg itself.
"""

from __future__ import annotations

from typing import Any

from .model import Column, ForeignKey, Index, OnDelete, Schema, Table, TableKind, Trigger, UniqueKey, is_tool_table

_RELATIONS = """
select c.relname, c.relkind
  from pg_class c
 where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
 order by c.relname
"""
_COLUMNS = """
select c.relname, a.attname, t.typname, a.attnotnull, a.attgenerated <> ''
  from pg_class c
  join pg_attribute a on a.attrelid = c.oid
  join pg_type t on t.oid = a.atttypid
 where c.relnamespace = current_schema()::regnamespace and c.relkind in ('r', 'p', 'v', 'm')
   and a.attnum > 0 and not a.attisdropped
 order by c.relname, a.attnum
"""
_CONSTRAINTS = """
select con.conname, con.contype, rel.relname,
       array(select a.attname from unnest(con.conkey) with ordinality k(num, pos)
               join pg_attribute a on a.attrelid = con.conrelid and a.attnum = k.num order by k.pos),
       coalesce(frel.relname, ''),
       array(select a.attname from unnest(con.confkey) with ordinality k(num, pos)
               join pg_attribute a on a.attrelid = con.confrelid and a.attnum = k.num order by k.pos),
       con.confdeltype
  from pg_constraint con
  join pg_class rel on rel.oid = con.conrelid
  left join pg_class frel on frel.oid = con.confrelid
 where rel.relnamespace = current_schema()::regnamespace and con.contype in ('p', 'u', 'f')
 order by rel.relname, con.conname
"""
# Indexes not made by a constraint (those are the keys above).
_INDEXES = """
select i.relname, t.relname, am.amname, ix.indisunique, ix.indpred is not null,
       array(select pg_get_indexdef(ix.indexrelid, cast(k.pos as int), true)
               from unnest(cast(ix.indkey as int2[])) with ordinality k(num, pos) order by k.pos)
  from pg_index ix
  join pg_class i on i.oid = ix.indexrelid
  join pg_class t on t.oid = ix.indrelid
  join pg_am am on am.oid = i.relam
 where t.relnamespace = current_schema()::regnamespace
   and not exists (select 1 from pg_constraint con
                    where con.conindid = ix.indexrelid and con.conrelid = ix.indrelid and con.contype in ('p', 'u', 'x'))
 order by t.relname, i.relname
"""
_TRIGGERS = """
select tg.tgname, c.relname
  from pg_trigger tg
  join pg_class c on c.oid = tg.tgrelid
 where c.relnamespace = current_schema()::regnamespace and not tg.tgisinternal
 order by tg.tgname, c.relname
"""
_ON_DELETE: dict[str, OnDelete] = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}


def read_postgres(conn: Any) -> Schema:
    """Every table and view of the current schema (the migration tools' bookkeeping left out), with the triggers."""
    kinds: dict[str, TableKind] = {str(name): "view" if kind in ("v", "m") else "table"
                                   for name, kind in conn.execute(_RELATIONS).fetchall() if not is_tool_table(str(name))}
    columns: dict[str, list[Column]] = {name: [] for name in kinds}
    for table, name, udt, not_null, generated in conn.execute(_COLUMNS).fetchall():
        if table in columns:
            columns[table].append(Column(str(name), str(udt), bool(not_null), bool(generated)))
    keys: dict[str, tuple[str, ...]] = {}
    uniques: dict[str, list[UniqueKey]] = {name: [] for name in kinds}
    fks: dict[str, list[ForeignKey]] = {name: [] for name in kinds}
    for conname, contype, table, cols, ref, ref_cols, on_delete in conn.execute(_CONSTRAINTS).fetchall():
        if table not in kinds:
            continue
        if contype == "p":
            keys[table] = tuple(cols)
        elif contype == "u":
            uniques[table].append(UniqueKey(str(conname), tuple(cols)))
        else:
            fks[table].append(ForeignKey(str(conname), tuple(cols), str(ref), tuple(ref_cols), _ON_DELETE[on_delete]))
    indexes: dict[str, list[Index]] = {name: [] for name in kinds}
    for index, table, method, unique, partial, cols in conn.execute(_INDEXES).fetchall():
        if table in indexes:
            indexes[table].append(Index(str(index), tuple(cols), bool(unique), str(method), bool(partial)))
    tables = {name: Table(name, kind, tuple(columns[name]), keys.get(name, ()), tuple(uniques[name]),
                          tuple(fks[name]), tuple(indexes[name])) for name, kind in kinds.items()}
    triggers = tuple(Trigger(str(n), str(t)) for n, t in conn.execute(_TRIGGERS).fetchall() if t in kinds)
    return Schema("postgres", tables, triggers)

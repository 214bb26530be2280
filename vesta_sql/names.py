"""Names the package and its schema share, written once (the migrations' .sql files spell them too).

Python code that needs the account column, the account directory, the setting the row-level
security policies read, or the text form of a timestamp imports it from here.
"""

from __future__ import annotations

from datetime import datetime

# The column every tenant table carries.
ACCOUNT_COLUMN = "account_id"
# The one global table (kind, key → account), written only by the database's triggers; also
# the namespace of the queries that read it.
DIRECTORY_TABLE = "account_directory"
# The account registry: every tenant table references it (Postgres by foreign keys, SQLite by triggers).
REGISTRY_TABLE = "accounts"

# What lets the append-only payment system log be deleted, an account at a time (migration
# 0010): written by `vesta-sql account delete` alone, never by a loaded query.
DELETION_PERMITS_TABLE = "account_deletions"

# Names the façade (`db.x`, `tx.x`) and a program's steps (`q.x`) use themselves: a query file
# of that name would make a namespace no one could reach (tests/test_sqlfile.py keeps the list whole).
FACADE_NAMES = frozenset({"account_id", "add_hook", "close", "dialect", "memo", "prepared_statements",
                          "resolve_account", "savepoint", "transaction"})

# The transaction-local setting Postgres's row-level security policies read.
ACCOUNT_SETTING = "vesta.account_id"
SET_ACCOUNT_SQL = f"select set_config('{ACCOUNT_SETTING}', %s, true)"

# Timestamps as text (`YYYY-MM-DDTHH:MM:SS.ffffffZ`): UTC, always with microseconds, fixed width, so text order is time order
# (how SQLite stores them, how `jsonable` and checksums write them).


def timestamp_text(utc: datetime) -> str:
    """`utc` (an aware datetime in UTC) as that text. Not `strftime`: its `%Y` does not pad years
    below 1000 to four digits, which would break the fixed width; `isoformat` does, and is faster."""
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"


# The same text made by Postgres's to_char from a UTC timestamp.
PG_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'

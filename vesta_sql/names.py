"""Names the package and its schema share, written once (the migrations' .sql files spell them too).

Python code that needs the account column, the account directory, the setting the row-level
security policies read, or the text form of a timestamp imports it from here.
"""

from __future__ import annotations

# The column every tenant table carries.
ACCOUNT_COLUMN = "account_id"
# The one global table (kind, key → account), written only by the database's triggers; also
# the namespace of the queries that read it.
DIRECTORY_TABLE = "account_directory"
# The account registry: every tenant table references it (Postgres by foreign keys, SQLite by triggers).
REGISTRY_TABLE = "accounts"

# The transaction-local setting Postgres's row-level security policies read.
ACCOUNT_SETTING = "vesta.account_id"
SET_ACCOUNT_SQL = f"select set_config('{ACCOUNT_SETTING}', %s, true)"

# Timestamps as text: UTC, always with microseconds, fixed width, so text order is time order
# (how SQLite stores them, how `jsonable` and checksums write them).
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# The same text made by Postgres's to_char from a UTC timestamp.
PG_TIMESTAMP_FORMAT = 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'

"""Statement timeouts: a statement running past the limit fails with QueryTimeout, and the connection stays usable."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

import vesta_sql
from vesta_sql import ConfigError, QueryTimeout

SLOW = Path(__file__).parent / "sql" / "slow"


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_statement_timeout_sync(dialect: str, request: pytest.FixtureRequest, acct: str) -> None:
    url = request.getfixturevalue("sqlite_url") if dialect == "sqlite" else request.getfixturevalue("pg_urls")[1]
    db: Any  # `slow` is a test query: the stubs do not know it
    with vesta_sql.connect(url, statement_timeout_ms=100, extra_queries=[SLOW]) as db:
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match=r"slow\.spin"):
            db.slow.spin(account_id=acct)
        assert time.monotonic() - started < 5
        assert db.creators.find_by_id(account_id=acct, id="nope") is None  # still usable


def test_statement_timeout_async_postgres(pg_urls: tuple[str, str], acct: str) -> None:
    async def scenario() -> None:
        db: Any = await vesta_sql.connect_async(pg_urls[1], statement_timeout_ms=100, extra_queries=[SLOW])
        try:
            with pytest.raises(QueryTimeout):
                await db.slow.spin(account_id=acct)
            assert await db.creators.find_by_id(account_id=acct, id="nope") is None
        finally:
            await db.close()

    asyncio.run(scenario())


def test_async_sqlite_refuses_a_timeout_it_cannot_enforce(sqlite_url: str) -> None:
    with pytest.raises(ConfigError, match="statement_timeout_ms"):
        asyncio.run(vesta_sql.connect_async(sqlite_url, statement_timeout_ms=100))

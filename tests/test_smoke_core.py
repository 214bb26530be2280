from __future__ import annotations

from typing import Any


def test_directory_unknown_key(db: Any) -> None:
    assert db.resolve_account("smart_link", "no-such-slug-xyz") is None

"""The record of the account registry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Account"]


@dataclass(frozen=True, slots=True)
class Account:
    """A registered account: only a registered account can hold rows."""

    account_id: str
    created_at: datetime

"""Records of the smart links domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ._types import JsonValue

__all__ = ["SmartLink"]


@dataclass(frozen=True, slots=True)
class SmartLink:
    """A public link (`slug`, unique across accounts) to a creator's destinations by platform."""

    id: str
    account_id: str
    creator_id: str
    slug: str
    title: str
    destinations: JsonValue
    click_count: int
    created_at: datetime
    updated_at: datetime

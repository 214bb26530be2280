"""Records of the creators domain: creators and their labels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Creator", "CreatorLabel"]


@dataclass(frozen=True, slots=True)
class Creator:
    """A creator of an account; `workos_org_id` links it to an SSO organisation."""

    id: str
    account_id: str
    name: str
    slug: str
    bio: str
    email: str
    workos_org_id: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CreatorLabel:
    """A free-form label attached to a creator (unique per creator)."""

    id: str
    account_id: str
    creator_id: str
    label: str
    created_at: datetime

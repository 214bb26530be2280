"""Records of subscriptions: free follows of a creator and paid subscriptions to a tier."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Follow", "Subscription"]


@dataclass(frozen=True, slots=True)
class Follow:
    """A platform user following a creator."""

    id: str
    account_id: str
    creator_id: str
    follower_id: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Subscription:
    """A platform user's paid subscription to a creator's tier, for the current billing period."""

    id: str
    account_id: str
    creator_id: str
    tier_id: str
    subscriber_id: str
    status: str
    current_period_start: datetime
    current_period_end: datetime
    canceled_at: datetime | None
    created_at: datetime
    updated_at: datetime

"""Records of pricing: plans, their tiers, and the price list joining both.

Prices are an `int` in minor units with an ISO 4217 `currency`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Plan", "PlanTier", "Tier"]


@dataclass(frozen=True, slots=True)
class Plan:
    """A creator's plan: a named group of tiers."""

    id: str
    account_id: str
    creator_id: str
    name: str
    description: str | None
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class Tier:
    """One priced, billed option of a plan."""

    id: str
    account_id: str
    plan_id: str
    name: str
    price_amount: int
    currency: str
    billing_interval: str
    status: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PlanTier:
    """One line of a creator's price list: an active tier with its active plan."""

    account_id: str
    creator_id: str
    plan_id: str
    plan_name: str
    plan_description: str | None
    tier_id: str
    tier_name: str
    price_amount: int
    currency: str
    billing_interval: str

"""Records of the payments side: Stripe payments, payouts, shares, routes, settings, logs, codes, agents.

Money is an `int` in minor units with its ISO 4217 `currency`; sums come back as `int` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ._types import JsonValue


@dataclass(frozen=True, slots=True)
class StripePayment:
    """One Stripe payment (a payment intent) recorded for the account."""

    id: str
    account_id: str
    creator_id: str | None
    stripe_payment_intent_id: str
    amount: int
    currency: str
    status: str
    description: str | None
    metadata: JsonValue
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentTotal:
    """Count and sum of payments of one currency and status."""

    currency: str
    status: str
    payment_count: int
    amount_total: int


@dataclass(frozen=True, slots=True)
class Payout:
    """Money paid (or to be paid) out to one recipient."""

    id: str
    account_id: str
    recipient_id: str
    amount: int
    currency: str
    status: str
    failure_reason: str | None
    paid_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PayoutTotal:
    """Count and sum of payouts of one currency and status."""

    currency: str
    status: str
    payout_count: int
    amount_total: int


@dataclass(frozen=True, slots=True)
class PaymentShare:
    """One recipient's part of a payment; a payment's shares add up to its amount."""

    id: str
    account_id: str
    payment_id: str
    recipient_id: str
    amount: int
    currency: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class RecipientShareTotal:
    """Count and sum of one recipient's shares in one currency."""

    recipient_id: str
    currency: str
    share_count: int
    amount_total: int


@dataclass(frozen=True, slots=True)
class PayoutRoute:
    """Where a recipient's payouts go, and their share in basis points."""

    id: str
    account_id: str
    recipient_id: str
    destination_type: str
    destination_ref: str
    share_bps: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentSettings:
    """The account's payment settings (one row per account)."""

    id: str
    account_id: str
    default_currency: str
    payout_schedule: str
    statement_descriptor: str | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentSystemLog:
    """One entry of the append-only payment log."""

    id: str
    account_id: str
    event_type: str
    entity_type: str
    entity_id: str
    payload: JsonValue
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PurchaseCode:
    """A code that can be redeemed once, optionally for a tier and before an expiry."""

    id: str
    account_id: str
    code: str
    tier_id: str | None
    redeemed_by: str | None
    redeemed_at: datetime | None
    expires_at: datetime | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class AccountAgent:
    """A user acting for the account with a role."""

    id: str
    account_id: str
    agent_user_id: str
    role: str
    created_at: datetime


__all__ = [
    "AccountAgent",
    "PaymentSettings",
    "PaymentShare",
    "PaymentSystemLog",
    "PaymentTotal",
    "Payout",
    "PayoutRoute",
    "PayoutTotal",
    "PurchaseCode",
    "RecipientShareTotal",
    "StripePayment",
]

"""Splitting a payment between recipients: the shares add up to the payment, or nothing is written."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..errors import InvalidInputError
from ..records.payments import PaymentShare, StripePayment
from .driver import Program, Steps
from .registry import program

MAX_SHARES = 1_000
_SHARE_KEYS = frozenset({"recipient_id", "amount"})


def _validate(shares: object) -> list[tuple[str, int]]:
    """The requested shares as (recipient_id, amount), sorted by recipient; refuses bad input."""
    if isinstance(shares, (str, bytes, Mapping)) or not isinstance(shares, Sequence):
        raise InvalidInputError("payment_shares.split: shares must be a list of {recipient_id, amount}")
    if not shares:
        raise InvalidInputError("payment_shares.split: shares must not be empty")
    if len(shares) > MAX_SHARES:
        raise InvalidInputError(f"payment_shares.split: {len(shares)} shares; the limit is {MAX_SHARES}")
    wanted: dict[str, int] = {}
    for index, share in enumerate(shares):
        where = f"payment_shares.split: shares[{index}]"
        if not isinstance(share, Mapping) or set(share) != _SHARE_KEYS:
            raise InvalidInputError(f"{where} must be a mapping with exactly the keys recipient_id and amount")
        recipient_id, amount = share["recipient_id"], share["amount"]
        if type(recipient_id) is not str or not recipient_id.strip():
            raise InvalidInputError(f"{where}.recipient_id must be a non-empty str")
        if type(amount) is not int:
            raise InvalidInputError(f"{where}.amount must be an int (minor units), got {type(amount).__name__}")
        if amount < 0:
            raise InvalidInputError(f"{where}.amount must not be negative, got {amount}")
        if recipient_id in wanted:
            raise InvalidInputError(f"{where}.recipient_id {recipient_id!r} appears twice")
        wanted[recipient_id] = amount
    return sorted(wanted.items())


@program("payment_shares", "split", write=True, dialects=("sqlite", "postgres"),
         steps=("stripe_payments.find_by_id_for_update", "payment_shares.list_by_payment", "payment_shares.create"))
def split(q: Steps, *, payment_id: str, shares: Sequence[Mapping[str, object]]) -> Program[list[PaymentShare]]:
    """Split a succeeded payment between recipients; the amounts must add up to the payment's.

    Splitting again with the same shares returns the existing shares (webhooks retry);
    splitting again differently, or shares that do not add up, raise `InvalidInputError`
    and write nothing. Shares are returned by recipient id.
    """
    wanted = _validate(shares)
    payment: StripePayment | None = yield q.stripe_payments.find_by_id_for_update(id=payment_id)
    if payment is None:
        raise InvalidInputError(f"payment_shares.split: no payment {payment_id!r} in this account")
    if payment.status != "succeeded":
        raise InvalidInputError(
            f"payment_shares.split: payment {payment_id!r} is {payment.status}; only a succeeded payment can be split"
        )
    total = sum(amount for _, amount in wanted)
    if total != payment.amount:
        raise InvalidInputError(
            f"payment_shares.split: the shares add up to {total} but the payment is {payment.amount} {payment.currency}"
        )
    existing: list[PaymentShare] = yield q.payment_shares.list_by_payment(payment_id=payment_id)
    if existing:
        if sorted((share.recipient_id, share.amount) for share in existing) == wanted:
            return existing
        raise InvalidInputError(f"payment_shares.split: payment {payment_id!r} is already split differently")
    created: list[PaymentShare] = []
    for recipient_id, amount in wanted:
        share: PaymentShare = yield q.payment_shares.create(
            payment_id=payment_id, recipient_id=recipient_id, amount=amount, currency=payment.currency
        )
        created.append(share)
    return created

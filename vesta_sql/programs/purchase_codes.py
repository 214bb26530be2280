"""Creating purchase codes in batches: all of them or none."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from ..errors import InvalidInputError
from ..records.payments import PurchaseCode
from .driver import Program, Steps
from .registry import program

MAX_BATCH = 1_000


@program("purchase_codes", "create_batch", write=True, dialects=("sqlite", "postgres"), steps=("purchase_codes.create",))
def create_batch(
    q: Steps, *, codes: Sequence[str], tier_id: str | None = None, expires_at: datetime | None = None
) -> Program[list[PurchaseCode]]:
    """Create many codes for the same tier and expiry, in the order given.

    Codes must be distinct non-empty strings; a code the account already has raises
    `UniqueViolation` and none of the batch is kept.
    """
    if isinstance(codes, (str, bytes)) or not isinstance(codes, Sequence):
        raise InvalidInputError("purchase_codes.create_batch: codes must be a list of str")
    if not codes:
        raise InvalidInputError("purchase_codes.create_batch: codes must not be empty")
    if len(codes) > MAX_BATCH:
        raise InvalidInputError(f"purchase_codes.create_batch: {len(codes)} codes; the limit is {MAX_BATCH}")
    seen: set[str] = set()
    for index, code in enumerate(codes):
        if type(code) is not str or not code.strip():
            raise InvalidInputError(f"purchase_codes.create_batch: codes[{index}] must be a non-empty str")
        if code in seen:
            raise InvalidInputError(f"purchase_codes.create_batch: code {code!r} appears twice")
        seen.add(code)
    created: list[PurchaseCode] = []
    for code in codes:
        row: PurchaseCode = yield q.purchase_codes.create(code=code, tier_id=tier_id, expires_at=expires_at)
        created.append(row)
    return created

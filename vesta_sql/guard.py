"""The tenant rules: every query binds `:account_id` (checked at load, then proven), every call names one account (per call).

There is deliberately no switch to turn either rule off. The one exemption is the
account directory file, known here by name, whose queries may only return an account id.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import TenantScopeError
from .names import DIRECTORY_TABLE

if TYPE_CHECKING:
    from .loader import QuerySpec

DIRECTORY_NAMESPACE = DIRECTORY_TABLE  # the directory's queries live in a file named after its table


def check_query_scoped(spec: QuerySpec, binds: Sequence[str]) -> None:
    """Refuse a query whose declared parameters or SQL lack the account (the quick check; the proof follows).

    `binds` are the binds the parser found outside comments and literals.
    """
    where = f"{spec.file}:{spec.line}: query {spec.namespace}.{spec.name}"
    if spec.namespace == DIRECTORY_NAMESPACE:
        if spec.op != "value":
            raise TenantScopeError(f"{where}: directory queries may only return one value, the account id (use '$')")
        return
    if "account_id" not in spec.declared:
        raise TenantScopeError(f"{where}: its declared parameter list does not include account_id")
    if "account_id" not in binds:
        raise TenantScopeError(f"{where}: its SQL never binds :account_id")


MAX_ACCOUNT_CHARS = 128


def require_account(account_id: object) -> str:
    """The call-time rule: one account, a `str` of 1–128 printable characters without surrounding whitespace.

    The façade inlines the accepting test (`type is str`, `0 < len <= 128`, `isprintable()`,
    no whitespace at either end) on its hot path and calls this for anything else.
    """
    if (type(account_id) is str and 0 < len(account_id) <= MAX_ACCOUNT_CHARS and account_id.isprintable()
            and not account_id[0].isspace() and not account_id[-1].isspace()):
        return account_id
    if account_id is None:
        raise TenantScopeError("account_id is required: every call is scoped to one account")
    if type(account_id) is not str:  # a subclass may compare or hash unlike the str it claims to be
        raise TenantScopeError(f"account_id must be a str, got {type(account_id).__name__}"
                               + (" (a subclass of str: pass str(value))" if isinstance(account_id, str) else ""))
    if not account_id.strip():
        raise TenantScopeError("account_id must not be empty or blank")
    if account_id != account_id.strip():
        raise TenantScopeError("account_id must not have surrounding whitespace")
    if len(account_id) > MAX_ACCOUNT_CHARS:
        raise TenantScopeError(f"account_id is {len(account_id)} characters long; at most {MAX_ACCOUNT_CHARS} are allowed")
    for position, char in enumerate(account_id):
        if unicodedata.category(char) == "Cc":
            raise TenantScopeError(
                f"account_id must not contain control characters (found U+{ord(char):04X} at position {position})")
    raise TenantScopeError("account_id must hold only printable characters (it has one that is not printable)")

"""The tenant rules: every query binds `:account_id` (checked at load, then proven), every call names one account (per call).

There is deliberately no switch to turn either rule off. The one exemption is the
account directory file, known here by name, whose queries may only return an account id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import TenantScopeError

if TYPE_CHECKING:
    from .loader import QuerySpec

DIRECTORY_NAMESPACE = "account_directory"


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


def require_account(account_id: object) -> str:
    """The call-time rule: one account, a non-empty `str` without surrounding whitespace."""
    if type(account_id) is str and account_id and not account_id[0].isspace() and not account_id[-1].isspace():
        return account_id
    if account_id is None:
        raise TenantScopeError("account_id is required: every call is scoped to one account")
    if not isinstance(account_id, str):
        raise TenantScopeError(f"account_id must be a str, got {type(account_id).__name__}")
    if not account_id.strip():
        raise TenantScopeError("account_id must not be empty or blank")
    if account_id != account_id.strip():
        raise TenantScopeError("account_id must not have surrounding whitespace")
    raise TenantScopeError("account_id is not a valid account id")

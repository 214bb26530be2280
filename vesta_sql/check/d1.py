"""Moved to `vesta_sql.admin.check.d1`; re-exported so `from vesta_sql.check.d1 import check_d1` keeps working."""

from ..admin.check.d1 import check_d1

__all__ = ["check_d1"]

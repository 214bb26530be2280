"""Records of the search domain."""

from __future__ import annotations

__all__: list[str] = []

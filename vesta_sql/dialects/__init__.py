"""The two dialects, one module each (connection set-up, value codecs, error translation), and what they share.

`Dialect` is what the runtime needs of a dialect module: mypy checks each module against
it where `connect` hands it to `Runtime` (a module satisfies a protocol structurally, so
the modules stay plain modules of functions and constants, with nothing to instantiate).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Protocol

from ..rows import Decoder

DialectName = Literal["sqlite", "postgres"]


class Dialect(Protocol):
    """The part of a dialect module that the runtime reads (the drivers import their own module)."""

    @property
    def NAME(self) -> DialectName: ...  # a module constant, as the modules spell it

    @property
    def DECODERS(self) -> Mapping[str, Decoder | None]: ...

    def translate_error(self, exc: Any, query: str) -> Exception:
        """Our error class for one of the driver's errors (`exc` is the driver's own class)."""
        ...

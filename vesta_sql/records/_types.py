"""Type aliases used by record fields, and equality for records holding arrays."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, TypeAlias, cast

if TYPE_CHECKING:
    import numpy
    import numpy.typing

    Embedding: TypeAlias = numpy.typing.NDArray[numpy.float32]
else:
    Embedding = Any  # numpy is imported only when an embedding is actually read

JsonValue: TypeAlias = "dict[str, Any] | list[Any]"

EMBEDDING_DIMENSIONS = 384


def array_aware_eq(self: Any, other: object) -> Any:
    """Field-by-field equality where arrays compare by shape and values.

    NumPy's ``==`` is element-wise, which makes dataclass ``==`` raise; records that
    hold an embedding compare arrays with ``array_equal`` instead.
    """
    if other.__class__ is not self.__class__:
        return NotImplemented
    for field in dataclasses.fields(cast(Any, self)):
        mine, theirs = getattr(self, field.name), getattr(other, field.name)
        if hasattr(mine, "shape") or hasattr(theirs, "shape"):
            import numpy

            if mine is None or theirs is None:
                if mine is not theirs:
                    return False
            elif not numpy.array_equal(mine, theirs):
                return False
        elif mine != theirs:
            return False
    return True

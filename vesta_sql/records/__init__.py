"""The frozen dataclasses that rows come back as: one module per domain, re-exported here."""

from __future__ import annotations

from . import accounts, collections, creators, engagement, payments, posts, pricing, search, smart_links, subscriptions
from ._types import Embedding, JsonValue
from .accounts import *  # noqa: F403
from .collections import *  # noqa: F403
from .creators import *  # noqa: F403
from .engagement import *  # noqa: F403
from .payments import *  # noqa: F403
from .posts import *  # noqa: F403
from .pricing import *  # noqa: F403
from .search import *  # noqa: F403
from .smart_links import *  # noqa: F403
from .subscriptions import *  # noqa: F403

__all__ = [
    *accounts.__all__, *collections.__all__, *creators.__all__, *engagement.__all__, *payments.__all__, *posts.__all__,
    *pricing.__all__, *search.__all__, *smart_links.__all__, *subscriptions.__all__,
]
_ = (Embedding, JsonValue)

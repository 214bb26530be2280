"""Records of the engagement domain: comments, per-post counts, a user's state on a post."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["Comment", "PostEngagement", "UserEngagement"]


@dataclass(frozen=True, slots=True)
class Comment:
    """A user's comment on a post."""

    id: str
    account_id: str
    post_id: str
    user_id: str
    body: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PostEngagement:
    """Like, comment and repost counts of one post."""

    post_id: str
    likes: int
    comments: int
    reposts: int


@dataclass(frozen=True, slots=True)
class UserEngagement:
    """Whether one user has liked and reposted one post."""

    post_id: str
    user_id: str
    liked: bool
    reposted: bool

"""The studio's tests: two seeded accounts on a fresh database, the real `vesta-sql studio` process, plain HTTP to it."""

from __future__ import annotations

import contextlib
import http.client
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import numpy as np

import vesta_sql
from vesta_sql.admin.studio.security import csrf_for

from .processes import stop


def vector(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


@dataclass
class Seeded:
    account: str
    ids: set[str] = field(default_factory=set)  # every id this account's rows hold (and the account itself)
    creator: str = ""
    posts: list[str] = field(default_factory=list)
    slug: str = ""


def seed(url: str, posts: int = 3) -> tuple[Seeded, Seeded]:
    """Two accounts with a creator, posts (with embeddings), likes, comments and a smart link each."""
    out = []
    tag = uuid.uuid4().hex[:8]
    with vesta_sql.connect(url) as db:
        for n, name in enumerate(("north", "south")):
            s = Seeded(f"acc_{name}_{tag}")
            db.accounts.register(account_id=s.account)
            creator = db.creators.create(account_id=s.account, name=f"Ada {name}", slug=f"ada-{name}-{tag}",
                                         email=f"ada-{name}-{tag}@example.com", bio="makes things")
            s.creator = creator.id
            for i in range(posts):
                post = db.posts.create(account_id=s.account, creator_id=creator.id, title=f"{name} post {i + 1}",
                                       body=f"body {i}", embedding=vector(n * 1000 + i))
                s.posts.append(post.id)
            for fan in ("fan-1", "fan-2"):
                db.engagement.like(account_id=s.account, post_id=s.posts[0], user_id=f"{fan}-{name}")
            comment = db.engagement.add_comment(account_id=s.account, post_id=s.posts[0], user_id=f"fan-1-{name}",
                                                body=f"nice, from {name}")
            link = db.smart_links.create(account_id=s.account, creator_id=creator.id, slug=f"links-{name}-{tag}",
                                         title="Listen", destinations={"spotify": "https://open.spotify.com/x"})
            s.slug = link.slug
            s.ids |= {s.account, creator.id, comment.id, link.id, *s.posts}
            out.append(s)
    return out[0], out[1]


@dataclass
class Server:
    process: subprocess.Popen[str]
    url: str  # as printed, with the token
    port: int
    token: str
    output: list[str]

    def request(self, method: str, path: str, *, form: dict[str, str] | None = None, token: bool = True,
                headers: dict[str, str] | None = None) -> tuple[int, str, dict[str, str]]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        sent = {"x-studio-token": self.token} if token else {}
        body = None
        if form is not None:
            body = urlencode(form)
            sent["content-type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", "replace"), dict(response.getheaders())
        finally:
            conn.close()

    def get(self, path: str, **kw: object) -> tuple[int, str]:
        status, text, _ = self.request("GET", path, **kw)  # type: ignore[arg-type]
        return status, text

    def post(self, path: str, form: dict[str, str], **kw: object) -> tuple[int, str, dict[str, str]]:
        return self.request("POST", path, form={"csrf": csrf_for(self.token), **form}, **kw)  # type: ignore[arg-type]


@contextlib.contextmanager
def studio(*args: str, cwd: Path) -> Iterator[Server]:
    """`vesta-sql studio ARGS --port 0`, until the block ends."""
    command = [sys.executable, "-m", "vesta_sql.admin.cli", "studio", "--port", "0", *args]
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                               text=True)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            found = re.search(r"open (http://\S+)", line)
            if found:
                url = found.group(1)
                parts = urlsplit(url)
                assert parts.port is not None
                yield Server(process, url, parts.port, parts.query.split("token=", 1)[1], lines)
                return
        raise AssertionError("the studio did not start:\n" + "".join(lines))
    finally:
        stop(process)


def links(page: str, base: str) -> list[str]:
    """The page's links inside `base` (the account's pages), HTML entities undone."""
    found = []
    for href in re.findall(r'href="([^"]+)"', page):
        href = href.replace("&amp;", "&")
        if href.startswith("?"):
            href = base.split("?")[0] + href
        found.append(href)
    return found

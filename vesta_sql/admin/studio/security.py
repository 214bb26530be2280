"""The local server's walls: a random token on every request, the Host header, and Origin plus a CSRF token on writes.

The token arrives once in the printed URL (`?token=…`) and is then kept in an HttpOnly,
SameSite=Strict cookie named after the port. The Host check stops DNS rebinding (a page
on evil.example whose name resolves to 127.0.0.1 still sends `Host: evil.example`). Every
POST needs the CSRF token of the session in its form and, when the browser sends one, an
Origin of this server.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import socket
import time
from collections.abc import Iterable
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def new_token() -> str:
    return secrets.token_urlsafe(32)


def csrf_for(token: str) -> str:
    """The CSRF token forms carry: derived from the session token, so it needs no server state."""
    return hmac.new(token.encode(), b"vesta-studio-csrf", hashlib.sha256).hexdigest()


WILDCARDS = ("0.0.0.0", "::")  # noqa: S104 - named to recognise them, not to bind


def machine_names() -> set[str]:
    """This machine's name and addresses: what a browser elsewhere puts in Host for a wildcard bind."""
    name = socket.gethostname()
    try:
        _, aliases, addresses = socket.gethostbyname_ex(name)
    except OSError:
        aliases, addresses = [], []
    return {name, socket.getfqdn(name), *aliases, *addresses}


def allowed_hosts(host: str, port: int) -> frozenset[str]:
    names = {"127.0.0.1", "localhost", "[::1]", host if ":" not in host else f"[{host}]"}
    if host in WILDCARDS:  # every interface: the requests name the machine, never "0.0.0.0"
        names |= machine_names()
    return frozenset(f"{name}:{port}" for name in names)


class Guard:
    """ASGI middleware: refuses a request without the token, with a foreign Host, or a POST without Origin/CSRF."""

    def __init__(self, app: ASGIApp, *, token: str, hosts: Iterable[str]) -> None:
        self.app, self.token, self.hosts = app, token, frozenset(hosts)
        self.csrf = csrf_for(token)

    def cookie_name(self) -> str:
        port = next(iter(sorted(self.hosts))).rsplit(":", 1)[-1]
        return f"vesta_studio_{port}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = self._check_headers(Request(scope))  # before any body is read: a stranger's upload costs nothing
        if refused is not None:
            await refused(scope, receive, send)
            return
        body = b""
        if scope["method"] not in ("GET", "HEAD"):  # read the form once here, replay it to the app below
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        if scope["method"] not in ("GET", "HEAD"):
            form = await Request(scope, replay).form()
            if not hmac.compare_digest(str(form.get("csrf", "")), self.csrf):
                await PlainTextResponse("refused: missing or wrong CSRF token (reload the page)", 403)(scope, receive, send)
                return
            sent = False
        started = time.perf_counter()

        async def timed(message: Message) -> None:
            # the server's own time for the page (`Server-Timing`), as the benchmark and the browser's tools read it
            if message["type"] == "http.response.start":
                spent = (time.perf_counter() - started) * 1000
                timing = (b"server-timing", f"app;dur={spent:.2f}".encode())
                message = {**message, "headers": [*message.get("headers", []), timing]}
            await send(message)

        await self.app(scope, replay, timed)

    def _check_headers(self, request: Request) -> Response | None:
        if request.headers.get("host", "") not in self.hosts:
            return PlainTextResponse("refused: this server answers only to its own address (Host header)", 421)
        given = request.query_params.get("token")
        if given is not None and request.method == "GET":
            if not hmac.compare_digest(given, self.token):
                return PlainTextResponse("refused: wrong token: open the URL printed by `vesta-sql studio`", 403)
            query = urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "token"])
            target = request.url.path + (f"?{query}" if query else "")
            response: Response = RedirectResponse(target, 303)  # the token leaves the address bar and the history
            response.set_cookie(self.cookie_name(), self.token, httponly=True, samesite="strict", path="/")
            return response
        held = request.cookies.get(self.cookie_name()) or request.headers.get("x-studio-token", "")
        if not hmac.compare_digest(held, self.token):
            return PlainTextResponse("refused: no token: open the URL printed by `vesta-sql studio`", 403)
        if request.method not in ("GET", "HEAD"):
            origin = request.headers.get("origin")
            if origin is not None and origin.split("://", 1)[-1] not in self.hosts:
                return PlainTextResponse("refused: a write from another origin", 403)
        return None

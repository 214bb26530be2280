"""The studio's pages and their URLs; every page under /a/{account}/ reads as that account and nothing else."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ...errors import InvalidInputError, VestaError
from . import console, sqlgen, views
from .audit import Audit
from .database import Studio
from .schema import Table
from .security import Guard, csrf_for
from .values import changes, stamp_update

HERE = Path(__file__).parent


def account_url(account: str, *parts: str, **query: str) -> str:
    path = "/a/" + quote(account, safe="") + "".join("/" + quote(p, safe="") for p in parts)
    return path + (f"?{urlencode(query)}" if query else "")


def as_filters(values: dict[str, str]) -> dict[str, str]:
    """The grid's filter parameters for column values (`f.creator_id=…`)."""
    return {f"f.{name}": value for name, value in values.items()}


class Pages:
    def __init__(self, studio: Studio, audit: Audit | None, token: str, describe: str) -> None:
        self.studio, self.audit, self.describe = studio, audit, describe
        self.csrf = csrf_for(token)
        self.templates = Jinja2Templates(directory=str(HERE / "templates"))
        self.templates.env.globals.update(account_url=account_url, cell=views.cell_text, urlencode=urlencode, dict=dict,
                                          zip_key=views.related_key, as_filters=as_filters)

    def page(self, request: Request, name: str, status: int = 200, **context: Any) -> Response:
        context.update(studio=self.studio, csrf=self.csrf, where=self.describe, write=self.studio.write)
        return self.templates.TemplateResponse(request, name, context, status_code=status)

    def wrap(self, handler: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
        """Run a page in a worker thread (the drivers are sync); a user's mistake or a missing row is a page, never a trace."""
        async def endpoint(request: Request) -> Response:
            if request.method == "POST":  # read the body here: the worker thread cannot await it
                request.state.form = {k: str(v) for k, v in (await request.form()).multi_items()}
            try:
                return await run_in_threadpool(handler, request)
            except views.NotFound as exc:
                return self.page(request, "error.html", 404, title="not found", message=str(exc))
            except (VestaError, ValueError) as exc:
                return self.page(request, "error.html", 400, title="refused", message=str(exc))
        return endpoint

    def _account(self, request: Request) -> str:
        account = str(request.path_params["account"])
        views.require_account(self.studio, account)
        return account

    # --- pages -------------------------------------------------------------------------------------

    def home(self, request: Request) -> Response:
        accounts = self.studio.accounts()
        return self.page(request, "home.html", accounts=accounts)

    def pick(self, request: Request) -> Response:
        account = request.query_params.get("account", "").strip()
        kind, key = request.query_params.get("kind", ""), request.query_params.get("key", "").strip()
        if not account and key:
            found = views.resolve_key(self.studio, kind, key)
            if found is None:
                raise views.NotFound(f"no account has the {kind} key {key!r}")
            account = found
        if not account:
            return RedirectResponse("/", 303)
        views.require_account(self.studio, account)
        return RedirectResponse(account_url(account), 303)

    def tables(self, request: Request) -> Response:
        account = self._account(request)
        return self.page(request, "tables.html", account=account, tables=views.tables(self.studio, account))

    def grid(self, request: Request) -> Response:
        account = self._account(request)
        table = views.table_of(self.studio, str(request.path_params["table"]))
        params = dict(request.query_params)
        view = views.grid(self.studio, account, table, params)
        keep = {k: v for k, v in params.items() if k in ("sort", "dir") or k.startswith("f.")}
        return self.page(request, "grid.html", account=account, view=view, keep=keep, params=params)

    def export(self, request: Request) -> Response:
        account = self._account(request)
        table = views.table_of(self.studio, str(request.path_params["table"]))
        if request.path_params["fmt"] not in ("csv", "json"):
            raise views.NotFound("exports are .csv or .json")
        view = views.grid(self.studio, account, table, dict(request.query_params))
        name = f"{table.name}.{request.path_params['fmt']}"
        disposition = {"content-disposition": f'attachment; filename="{name}"'}
        if request.path_params["fmt"] == "json":
            rows = [{c: views.plain(v) for c, v in zip(view.columns, r, strict=True)} for r in view.rows]
            return JSONResponse(rows, headers=disposition)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(view.columns)
        writer.writerows([[views.cell_text(v) for v in r] for r in view.rows])
        return Response(out.getvalue(), media_type="text/csv", headers=disposition)

    def row(self, request: Request) -> Response:
        account = self._account(request)
        table = views.table_of(self.studio, str(request.path_params["table"]))
        detail = views.row(self.studio, account, table, dict(request.query_params))
        return self.page(request, "row.html", account=account, detail=detail, table=table,
                         key={k: request.query_params[k] for k in table.key})

    def console(self, request: Request) -> Response:
        account = self._account(request)
        sql = "select t.id, t.title, t.status from posts t where t.account_id = :account_id order by t.id limit 20"
        outcome = None
        if request.method == "POST":
            sql = str(_form(request).get("sql", ""))
            outcome = console.run(self.studio, account, sql)
        return self.page(request, "console.html", account=account, sql=sql, outcome=outcome)

    # --- writes (--write only) ----------------------------------------------------------------------

    def _writable(self, request: Request) -> tuple[str, Table]:
        account = self._account(request)
        table = views.table_of(self.studio, str(request.path_params["table"]))
        if not table.writable:
            raise InvalidInputError(f"{table.name} is kept by the database (its triggers): the studio does not write it")
        return account, table

    def new(self, request: Request) -> Response:
        account, table = self._writable(request)
        return self.page(request, "new.html", account=account, table=table)

    def change(self, request: Request) -> Response:
        account, table = self._writable(request)
        action = str(request.path_params["action"])
        if action not in ("insert", "update", "delete"):
            raise views.NotFound(f"no page {action!r}")
        form = _form(request)
        schema, dialect = self.studio.schema, self.studio.dialect
        if action == "insert":
            values = changes(table, form, dialect, editing=False)
            key = {k: values.get(k) or _new_key(table, k, values) for k in table.key}
            values.update(key)
            statements = [sqlgen.insert(schema, table, values)]
            before: dict[str, Any] | None = None
        else:
            key = {k: request.query_params.get(k, "") for k in table.key}
            before = views.row(self.studio, account, table, key).values
            values = changes(table, form, dialect, editing=True) if action == "update" else {}
            if action == "update" and not values:
                raise InvalidInputError("nothing to change")
            if action == "update":
                stamp_update(table, values, dialect)
            statements = [sqlgen.update(schema, table, key, values) if action == "update" else sqlgen.delete(schema, table, key)]
        trail = self.audit
        assert trail is not None  # --write always has an audit trail

        def audit(results: list[Any]) -> None:
            after = None if action == "delete" else {**(before or {}), **values}
            trail.record(account=account, table=table.name, action=action, key=key, before=before, after=after)

        self.studio.change(account, statements, audit)
        if action == "delete":
            return RedirectResponse(account_url(account, "t", table.name), 303)
        return RedirectResponse(account_url(account, "t", table.name, "row", **{k: str(v) for k, v in key.items()}), 303)


def _form(request: Request) -> dict[str, str]:
    return dict(getattr(request.state, "form", {}))


def _new_key(table: Table, name: str, values: dict[str, Any]) -> str:
    from ...ids import new_id

    if name != "id":
        raise InvalidInputError(f"{name} is part of the key of {table.name}: give it a value")
    return new_id()


def build_app(studio: Studio, *, token: str, hosts: frozenset[str], audit: Audit | None, describe: str) -> Starlette:
    pages = Pages(studio, audit, token, describe)
    w = pages.wrap
    routes = [
        Route("/", w(pages.home)),
        Route("/pick", w(pages.pick)),
        Route("/a/{account}", w(pages.tables)),
        Route("/a/{account}/console", w(pages.console), methods=["GET", "POST"]),
        Route("/a/{account}/t/{table}", w(pages.grid)),
        Route("/a/{account}/t/{table}/export.{fmt:str}", w(pages.export)),
        Route("/a/{account}/t/{table}/row", w(pages.row)),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    if studio.write:
        routes += [
            Route("/a/{account}/t/{table}/new", w(pages.new)),
            Route("/a/{account}/t/{table}/{action:str}", w(pages.change), methods=["POST"]),
        ]
    app = Starlette(routes=routes)
    app.add_middleware(Guard, token=token, hosts=hosts)
    return app


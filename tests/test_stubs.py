"""The generated stubs: current with the query files, and they make mypy refuse a call without an account."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

import vesta_sql
from vesta_sql.admin import cli, stubs
from vesta_sql.facade import Namespace
from vesta_sql.programs import registry

from .mypy_support import assert_mypy_errors

# Lines marked `# E: code` must get exactly these mypy errors; every other line none.
CONSUMER = '''
from __future__ import annotations

from typing import assert_type

import numpy as np

import vesta_sql
from vesta_sql import Creator, CreatorLabel, PaymentShare, Post, PurchaseCode


def correct(db: vesta_sql.Database, acct: str) -> None:
    creator = db.creators.create(account_id=acct, name="Ada", slug="ada", email="ada@example.com")
    assert_type(creator, Creator)
    assert_type(db.creators.find_by_id(account_id=acct, id=creator.id), Creator | None)
    assert_type(db.creators.update(account_id=acct, id=creator.id, bio=None), Creator | None)
    assert_type(db.creators.list(account_id=acct, limit=10), list[Creator])
    assert_type(db.creators.list_labels(account_id=acct, creator_id=creator.id), list[CreatorLabel])
    assert_type(db.creators.delete(account_id=acct, id=creator.id), int)
    post = db.posts.create(account_id=acct, creator_id=creator.id, title="Hi", embedding=np.ones(384, dtype=np.float32))
    assert_type(post, Post)
    db.posts.create(account_id=acct, creator_id=creator.id, title="Hi", embedding=[0.5] * 384)
    codes = db.purchase_codes.create_batch(account_id=acct, codes=["a", "b"])
    assert_type(codes, list[PurchaseCode])
    with db.transaction(account_id=acct) as tx:
        assert_type(tx, vesta_sql.Transaction)
        assert_type(tx.creators.find_by_slug(slug="ada"), Creator | None)
        shares = tx.payment_shares.split(payment_id="pay", shares=[{"recipient_id": "r", "amount": 100}])
        assert_type(shares, list[PaymentShare])
    likes = [{"post_id": post.id, "user_id": user} for user in ("u1", "u2")]
    assert_type(db.engagement.like.many(account_id=acct, rows=likes), int)
    assert_type(db.creators.add_label(account_id=acct, creator_id=creator.id, label="vip"), int)
    with db.transaction(account_id=acct) as tx:
        assert_type(tx.creators.add_label.many(rows=[{"creator_id": creator.id, "label": "a"}]), int)
    with db.transaction(account_id=acct, write=False) as reader:
        reader.creators.find_by_email(email="ada@example.com")
    assert_type(db.resolve_account("smart_link", "ada"), str | None)
    db.close()


def opened() -> None:
    with vesta_sql.connect("sqlite:///vesta.db") as db:
        assert_type(db, vesta_sql.Database)
        assert_type(db.creators.find_by_slug(account_id="acc", slug="ada"), Creator | None)


async def correct_async(acct: str) -> None:
    db = await vesta_sql.connect_async("sqlite:///vesta.db")
    assert_type(db, vesta_sql.AsyncDatabase)
    assert_type(await db.creators.find_by_id(account_id=acct, id="c"), Creator | None)
    assert_type(await db.creators.list(account_id=acct), list[Creator])
    async with db.transaction(account_id=acct) as tx:
        assert_type(tx, vesta_sql.AsyncTransaction)
        assert_type(await tx.creators.find_by_id(id="c"), Creator | None)
        await tx.purchase_codes.create_batch(codes=["a"])
        assert_type(await tx.engagement.like.many(rows=[{"post_id": "p", "user_id": "u"}]), int)
    assert_type(await db.engagement.like(account_id=acct, post_id="p", user_id="u"), int)
    assert_type(await db.resolve_account("sso_org", "org"), str | None)
    async with db as same:
        assert_type(same, vesta_sql.AsyncDatabase)


def mistakes(db: vesta_sql.Database, acct: str) -> None:
    db.creators.find_by_id(id="c")  # E: call-arg
    db.creators.find_by_id(account_id=acct, idd="c")  # E: call-arg
    db.creators.find_by_id(account_id=acct, id=42)  # E: arg-type
    db.creators.find_by_id(account_id=None, id="c")  # E: arg-type
    db.creators.find_by_id(acct, id="c")  # E: call-arg
    db.creators.create(account_id=acct, name="Ada", slug="ada")  # E: call-arg
    db.creators.create(account_id=acct, name="Ada", slug="ada", email="e", now=None)  # E: call-arg
    db.purchase_codes.create_batch(codes=["a"])  # E: call-arg
    wrong: Post | None = db.creators.find_by_id(account_id=acct, id="c")  # E: assignment
    single: Creator = db.creators.find_by_id(account_id=acct, id="c")  # E: assignment
    db.creators.find_by_idd(account_id=acct, id="c")  # E: attr-defined
    db.no_such_namespace.find(account_id=acct)  # E: attr-defined
    db.transaction()  # E: call-arg
    db.engagement.like.many(rows=[{"post_id": "p", "user_id": "u"}])  # E: call-arg
    db.engagement.like.many(account_id=acct, rows="post_id")  # E: arg-type
    db.creators.find_by_id.many(account_id=acct, rows=[])  # E: attr-defined
    with db.transaction(account_id=acct) as tx:
        tx.creators.find_by_id(account_id=acct, id="c")  # E: call-arg
        tx.payment_shares.split(account_id=acct, payment_id="p", shares=[])  # E: call-arg


async def mistakes_async(db: vesta_sql.AsyncDatabase, acct: str) -> None:
    found: Creator | None = db.creators.find_by_id(account_id=acct, id="c")  # E: assignment
    await db.creators.find_by_id(id="c")  # E: call-arg
'''


def test_stubs_are_current() -> None:
    stale = stubs.stale_stubs()
    assert not stale, f"stale stubs {[str(p) for p in stale]}: run `python -m vesta_sql stubs` and commit the result"


def test_generation_is_deterministic() -> None:
    assert stubs.generate() == stubs.generate()


def test_cli_check_names_stale_files_then_write_fixes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(stubs, "PACKAGE_DIR", tmp_path)
    (tmp_path / "_namespaces.pyi").write_text("# old\n", encoding="utf-8")
    assert cli.main(["stubs", "--check"]) == 1
    err = capsys.readouterr().err
    assert str(tmp_path / "_namespaces.pyi") in err and str(tmp_path / "__init__.pyi") in err
    assert not (tmp_path / "__init__.pyi").exists()  # --check writes nothing

    assert cli.main(["stubs"]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["__init__.pyi", "_namespaces.pyi"]
    assert (tmp_path / "_namespaces.pyi").read_text(encoding="utf-8") == stubs.generate()["_namespaces.pyi"]
    capsys.readouterr()
    assert cli.main(["stubs", "--check"]) == 0
    assert "up to date" in capsys.readouterr().out


def test_a_query_in_one_dialect_only_is_refused(tmp_path: Path) -> None:
    (tmp_path / "postgres").mkdir()
    (tmp_path / "postgres" / "widgets.sql").write_text(textwrap.dedent("""\
        -- name: count_all(account_id)$
        -- How many widgets.
        select count(*) from creators w where w.account_id = :account_id;
        """), encoding="utf-8")
    with pytest.raises(stubs.StubError, match=r"widgets\.count_all exists for postgres but not for sqlite"):
        stubs.facade_methods(extra_queries=[tmp_path])


def test_a_query_whose_signature_differs_by_dialect_is_refused(tmp_path: Path) -> None:
    (tmp_path / "postgres").mkdir()
    shared = "-- name: find(account_id, id)$\n-- param: id {}\n" \
             "select c.name from creators c where c.account_id = :account_id and c.id = :id;\n"
    (tmp_path / "gadgets.sql").write_text(shared.format("str"), encoding="utf-8")
    (tmp_path / "postgres" / "gadgets.sql").write_text(shared.format("int"), encoding="utf-8")
    with pytest.raises(stubs.StubError, match=r"gadgets\.find differs between dialects"):
        stubs.facade_methods(extra_queries=[tmp_path])


def test_stub_namespaces_match_the_runtime_facade(sqlite_url: str) -> None:
    """Every namespace and call of a connected façade has its typed method, and nothing more."""
    tree = ast.parse(stubs.generate()["_namespaces.pyi"])
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    with vesta_sql.connect(sqlite_url) as db:
        runtime = {name: sorted(k for k in vars(space) if not k.startswith("_"))
                   for name, space in vars(db).items() if isinstance(space, Namespace)}
    database = classes["Database"]
    typed_spaces = {node.target.id: ast.unparse(node.annotation) for node in database.body  # type: ignore[union-attr]
                    if isinstance(node, ast.AnnAssign)}
    assert sorted(typed_spaces) == sorted(runtime)
    for prefix in ("", "Tx", "Async", "AsyncTx"):
        for namespace, calls in runtime.items():
            cls = classes[prefix + stubs.class_name(namespace)]
            methods = sorted(n.name for n in cls.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
            many = sorted(n.target.id for n in cls.body if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name))
            typed = set(methods + many)
            assert typed <= set(calls), (prefix, namespace)
            # what the stubs leave out: a dialect's helper queries, steps of its own programs
            assert {(namespace, name) for name in set(calls) - typed} <= registry.dialect_steps("sqlite"), (prefix, namespace)
            for name in many:  # the `!` queries, also callable as `.many(rows=…)`
                call = classes[f"{prefix}{stubs.camel(namespace, name)}Call"]
                defined = [n.name for n in call.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
                assert defined == ["__call__", "many"]


def test_the_stubs_pass_mypy_strict_and_catch_calls_without_an_account(tmp_path: Path) -> None:
    assert_mypy_errors(tmp_path, CONSUMER)


def test_without_ruff_the_stubs_command_says_what_to_install(tmp_path: Path) -> None:
    """Ruff sorts and formats the generated files; where it is missing, one line says so (no traceback)."""
    import subprocess
    import sys

    script = "import sys; sys.modules['ruff'] = None\nfrom vesta_sql.admin.cli import main\nsys.exit(main(['stubs', '--check']))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False,
                          env={"PATH": str(tmp_path)}, cwd=tmp_path)
    assert done.returncode == 1
    assert "ruff, which is not installed: pip install 'vesta-sql[dev]' (or pip install ruff)" in done.stderr
    assert "Traceback" not in done.stderr

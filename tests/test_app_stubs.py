"""An app's own queries, first class: its record classes at load, its typed module, mypy refusing a call without an account."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import vesta_sql
from vesta_sql import QueryLoadError, TenantScopeError
from vesta_sql.admin import migrate
from vesta_sql.admin.cli import main

from .mypy_support import assert_mypy_errors

RECORDS = '''
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PostWithLikes:
    id: str
    title: str
    likes: int
'''

FAN_STATS = '''
-- name: creator_count(account_id)$
-- returns: int
select count(*) from creators c where c.account_id = :account_id;

-- name: posts_with_likes(account_id, limit)
-- record_class: PostWithLikes
-- param: limit int = 20
select p.id, p.title, count(l.id) as likes
  from posts p
  left join likes l on l.account_id = p.account_id and l.post_id = p.id
 where p.account_id = :account_id
 group by p.id, p.title
 order by likes desc, p.id
 limit :limit;
'''

POSTS = '''
-- name: count_drafts(account_id)$
-- returns: int
select count(*) from posts p where p.account_id = :account_id and p.status = 'draft';
'''

# Lines marked `# E: code` must get exactly these mypy errors; every other line none.
CONSUMER = '''
from __future__ import annotations

from typing import assert_type

from myapp.records import PostWithLikes
from myapp.vesta_app import Database, connect


def use(db: Database, acct: str) -> None:
    assert_type(db.fan_stats.creator_count(account_id=acct), int)
    assert_type(db.fan_stats.posts_with_likes(account_id=acct, limit=5), list[PostWithLikes])
    assert_type(db.posts.count_drafts(account_id=acct), int)
    db.posts.find_by_id(account_id=acct, id="p")  # the package's own queries stay typed
    with db.transaction(account_id=acct) as tx:
        assert_type(tx.fan_stats.creator_count(), int)
    db.fan_stats.creator_count()  # E: call-arg
    db.fan_stats.posts_with_likes(account_id=acct, limit="5")  # E: arg-type
    db.fan_stats.no_such_query(account_id=acct)  # E: attr-defined


def opened(url: str) -> Database:
    return connect(url)
'''


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A new app's project: its records module, its query folder, and its pyproject naming its record classes."""
    (tmp_path / "myapp").mkdir()
    (tmp_path / "myapp" / "__init__.py").write_text("", encoding="utf-8")
    (tmp_path / "myapp" / "records.py").write_text(RECORDS.lstrip(), encoding="utf-8")
    (tmp_path / "my_sql").mkdir()
    (tmp_path / "my_sql" / "fan_stats.sql").write_text(FAN_STATS.lstrip(), encoding="utf-8")
    (tmp_path / "my_sql" / "posts.sql").write_text(POSTS.lstrip(), encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "myapp"
        version = "0"

        [tool.vesta-sql]
        record_classes = { PostWithLikes = "myapp.records:PostWithLikes" }
        """), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [n for n in sys.modules if n == "myapp" or n.startswith("myapp.")]:  # another test's app
        monkeypatch.delitem(sys.modules, name)
    return tmp_path


def test_app_record_classes_load_and_run(app: Path) -> None:
    from myapp.records import PostWithLikes  # type: ignore[import-not-found]  # the app the fixture writes

    url = f"sqlite:///{app / 'app.db'}"
    migrate.apply(url)
    db: Any = vesta_sql.connect(url, extra_queries=[app / "my_sql"], record_classes={"PostWithLikes": PostWithLikes})
    try:
        db.accounts.register(account_id="acc_1")
        creator = db.creators.create(account_id="acc_1", name="Ada", slug="ada", email="a@x.io")
        post = db.posts.create(account_id="acc_1", creator_id=creator.id, title="Hi")
        db.engagement.like(account_id="acc_1", post_id=post.id, user_id="u1")
        assert db.fan_stats.posts_with_likes(account_id="acc_1") == [PostWithLikes(post.id, "Hi", 1)]
        assert db.fan_stats.posts_with_likes(account_id="acc_2") == []
        assert db.posts.count_drafts(account_id="acc_1") == 1
    finally:
        db.close()


def test_an_unknown_or_bad_record_class_is_refused_at_load(app: Path) -> None:
    url = f"sqlite:///{app / 'app.db'}"
    with pytest.raises(QueryLoadError, match=r"unknown record class PostWithLikes .*record_classes="):
        vesta_sql.connect(url, extra_queries=[app / "my_sql"])
    with pytest.raises(QueryLoadError, match="not a dataclass"):
        vesta_sql.connect(url, extra_queries=[app / "my_sql"], record_classes={"PostWithLikes": dict})
    with pytest.raises(QueryLoadError, match="already a record of the package"):
        vesta_sql.connect(url, extra_queries=[app / "my_sql"], record_classes={"Post": vesta_sql.Post})


def test_an_app_record_class_that_does_not_match_its_query_is_refused(app: Path) -> None:
    from dataclasses import make_dataclass

    wrong = make_dataclass("PostWithLikes", [("id", str), ("title", str)], frozen=True)
    with pytest.raises(TenantScopeError, match="do not match record PostWithLikes; unexpected likes"):
        vesta_sql.connect(f"sqlite:///{app / 'app.db'}", extra_queries=[app / "my_sql"], record_classes={"PostWithLikes": wrong})


def test_check_reads_the_app_record_classes_from_the_project_file(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "my_sql"]) == 0, capsys.readouterr().out


def test_the_app_stubs_make_mypy_refuse_a_call_without_an_account(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stubs", "--queries", "my_sql", "--out", "myapp"]) == 0
    assert {p.name for p in (app / "myapp").iterdir()} >= {"vesta_app.py", "vesta_app.pyi"}
    assert main(["stubs", "--queries", "my_sql", "--out", "myapp"]) == 0
    assert "up to date" in capsys.readouterr().out
    assert_mypy_errors(app, CONSUMER, also=(app / "myapp",), path=(app,))


def test_the_generated_module_connects_with_the_app_queries(app: Path) -> None:
    assert main(["stubs", "--queries", "my_sql", "--out", "myapp"]) == 0
    url = f"sqlite:///{app / 'gen.db'}"
    migrate.apply(url)
    from myapp import vesta_app  # type: ignore[import-not-found]

    db = vesta_app.connect(url)
    try:
        assert db.fan_stats.creator_count(account_id="acc_1") == 0
    finally:
        db.close()


def test_stubs_need_both_queries_and_out(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stubs", "--queries", "my_sql"]) == 2
    assert "--queries DIR and --out DIR go together" in capsys.readouterr().err

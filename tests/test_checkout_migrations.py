"""A regular install copies the migrations at install time: a checkout's new file is not what `migrate`
reads, and the commands say so instead of ignoring it silently."""

from __future__ import annotations

import shutil
from pathlib import Path

from vesta_sql.admin.migrate import unseen_checkout_migrations
from vesta_sql.resources import migrations_dir


def _checkout(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'an-app-checkout'\n", encoding="utf-8")
    shutil.copytree(migrations_dir("sqlite").parent, tmp_path / "migrations")
    return tmp_path


def test_a_checkout_with_the_installed_files_needs_no_note(tmp_path: Path) -> None:
    assert unseen_checkout_migrations(_checkout(tmp_path)) is None


def test_a_new_file_the_installed_package_lacks_is_named_with_the_remedy(tmp_path: Path) -> None:
    checkout = _checkout(tmp_path)
    (checkout / "migrations" / "sqlite" / "0099_add_tags.sql").write_text("create table t (x text);\n", encoding="utf-8")
    note = unseen_checkout_migrations(checkout / "migrations")
    assert note is not None
    assert "0099_add_tags.sql" in note and "pip install -e ." in note

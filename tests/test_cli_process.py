"""`vesta-sql` as a real process: Ctrl-C in the middle of a migration, a reader that closes the pipe, --version."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import psycopg

from vesta_sql.admin import migrate
from vesta_sql.resources import migrations_dir

from .pg import PostgresFixture

CLI = [sys.executable, "-m", "vesta_sql"]


def _first(count: int, folder: Path) -> Path:
    """A migrations folder holding the package's first `count` Postgres migrations."""
    (folder / "rollback").mkdir(parents=True)
    for path in sorted(migrations_dir("postgres").glob("*.sql"))[:count]:
        shutil.copyfile(path, folder / path.name)
        shutil.copyfile(path.parent / "rollback" / path.name, folder / "rollback" / path.name)
    return folder


def test_ctrl_c_rolls_the_migration_back_releases_the_lock_and_prints_no_traceback(postgres: PostgresFixture,
                                                                                  tmp_path: Path) -> None:
    url = postgres.create_database("vesta_sigint")
    migrate.apply(url, folder=_first(8, tmp_path / "m"))
    with psycopg.connect(url) as blocker:
        blocker.execute("lock table posts in access exclusive mode")  # 0009 creates a trigger on posts: it waits
        process = subprocess.Popen([*CLI, "migrate", "--url", url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        with psycopg.connect(url, autocommit=True) as watcher:
            while watcher.execute("select count(*) from pg_stat_activity where wait_event_type = 'Lock' "
                                  "and datname = current_database()").fetchone() != (1,):
                assert process.poll() is None, process.communicate()
        process.send_signal(signal.SIGINT)
        _, err = process.communicate()
        blocker.rollback()
    assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    applied = [state.id for state in migrate.status(url) if state.applied]
    assert applied[-1] == "0008_payments"
    with psycopg.connect(url) as conn:
        assert conn.execute("select to_regclass('posts_search')").fetchone() == (None,)  # created, then rolled back
        assert conn.execute("select count(*) from yoyo_lock").fetchone() == (0,)
    assert migrate.apply(url)[0] == "0009_post_search"  # and nothing is stuck


def test_a_closed_pipe_ends_quietly() -> None:
    process = subprocess.Popen([*CLI, "export", "d1"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # as `| head` does once it has read enough
    err = process.stderr.read().decode()
    process.wait()
    assert err == "" and process.returncode == 141


def test_a_user_mistake_is_one_line_without_traceback(tmp_path: Path) -> None:
    done = subprocess.run([*CLI, "status", "--env", "prod"], capture_output=True, text=True, cwd=tmp_path,
                          env={k: v for k, v in os.environ.items() if k != "DATABASE_URL"})
    assert done.returncode == 1 and done.stderr.count("\n") == 1 and "unknown environment 'prod'" in done.stderr
    assert list(tmp_path.iterdir()) == []


def _at_a_terminal(argv: list[str], answers: list[tuple[bytes, bytes]]) -> tuple[int, str]:
    """Run the CLI with a real terminal as its controlling tty; type each answer once its prompt shows."""
    import pty
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the CLI
        os.execv(sys.executable, [sys.executable, "-m", "vesta_sql", *argv])
    seen, pending = b"", list(answers)
    while True:
        ready, _, _ = select.select([fd], [], [], 120)
        assert ready, seen.decode(errors="replace")  # a guard against a hang, not a timing check
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        seen += chunk
        if pending and pending[0][0] in seen:
            os.write(fd, pending.pop(0)[1])
            seen = seen.replace(b"\r\n", b"\n")
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), seen.decode(errors="replace")


def test_rollback_all_asks_at_a_real_terminal(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    migrate.apply(url)
    code, shown = _at_a_terminal(["rollback", "--all", "--url", url], [(b"to continue: ", b"yes\n")])
    assert code == 0 and "Type 'yes' to continue" in shown and "rolled back" in shown
    assert not any(state.applied for state in migrate.status(url))


def test_app_role_prompts_for_the_password_at_a_real_terminal(pg_urls: tuple[str, str], postgres: PostgresFixture) -> None:
    owner, _ = pg_urls
    code, shown = _at_a_terminal(["app-role", "--url", owner, "--role", "vesta_prompted"],
                                 [(b"leave it unchanged): ", b"typed-pw\n"), (b"again: ", b"typed-pw\n")])
    assert code == 0 and "typed-pw" not in shown, shown  # not echoed
    with psycopg.connect(postgres.url_for(owner, "vesta_prompted", "typed-pw")) as conn:
        assert conn.execute("select current_user").fetchone() == ("vesta_prompted",)

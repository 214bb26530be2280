"""The studio in a real browser: Debian's chromium driven by Playwright, every request outside 127.0.0.1 aborted.

Open the printed URL, pick an account, browse and page a table, follow a foreign key, run
an accepted console query, see an unscoped one refused, export CSV, edit a row (--write).
With VESTA_STUDIO_SCREENSHOTS=docs/studio the screenshots for the README are written there.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from vesta_sql.admin import migrate

from .studio_support import seed, studio

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (scripts/test installs it as root)")
def test_the_studio_in_chromium(tmp_path: Path) -> None:
    from playwright.sync_api import Route, sync_playwright

    url = "sqlite:///vesta.db"  # relative to the server's folder: the screenshots show no machine path
    migrate.apply(f"sqlite:///{tmp_path / 'vesta.db'}")
    a, b = seed(f"sqlite:///{tmp_path / 'vesta.db'}", posts=60)
    shots = Path(os.environ.get("VESTA_STUDIO_SCREENSHOTS") or tmp_path / "shots")
    shots.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    inside: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            inside.append(route.request.url)
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with studio("--url", url, "--write", "--audit", str(tmp_path / "audit.jsonl"), cwd=tmp_path) as server, \
            sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_context(viewport={"width": 1280, "height": 760}, accept_downloads=True).new_page()
            page.route("**/*", only_loopback)
            page.goto(server.url)
            assert "token=" not in page.url  # the token went into a cookie
            page.screenshot(path=str(shots / "accounts.png"))

            page.click(f"a.pick:text-is('{a.account}')")
            assert a.account in page.inner_text("#account-in-use")
            page.screenshot(path=str(shots / "tables.png"))

            page.click("#tables a:text-is('posts')")
            assert page.locator("#rows tbody tr").count() == 50
            first_page = page.inner_text("#rows")
            page.click("#next")
            assert page.locator("#rows tbody tr").count() == 10 and page.inner_text("#rows") != first_page
            page.click("#prev")
            assert page.inner_text("#rows") == first_page
            page.select_option("select[name=dir]", "desc")
            page.click("form.filters button")
            assert "north post 60" in page.inner_text("#rows tbody tr:first-child")
            page.screenshot(path=str(shots / "grid.png"))

            with page.expect_download() as download:
                page.click("#export-csv")
            csv = Path(download.value.path()).read_text()
            assert csv.startswith("account_id,id,creator_id,title") and "north post 60" in csv and b.account not in csv

            page.click("a.row-link >> nth=0")  # a post → its creator (a foreign key followed up)
            page.click("#parents a.parent")
            assert "Ada north" in page.inner_text("main")
            assert page.locator("table.child[data-table=posts] tbody tr").count() == 20  # … and its posts (followed down)
            page.screenshot(path=str(shots / "row.png"), full_page=True)

            page.click("table.child[data-table=posts] a.child-link >> nth=0")
            assert page.locator("#nearest li").count() == 10  # its nearest posts, in the same account
            page.fill("input[name='c.title']", "edited in the browser")
            page.click("#save")
            assert page.input_value("input[name='c.title']") == "edited in the browser"

            page.click("nav a:text-is('console')")
            page.fill("#sql", "select p.title, p.status from posts p where p.account_id = :account_id order by p.title limit 5")
            page.click("#run")
            page.wait_for_selector("#result tbody tr")  # the click posts the form; count once the answer is in
            assert page.locator("#result tbody tr").count() == 5
            page.screenshot(path=str(shots / "console.png"))
            page.fill("#sql", "select p.title from posts p order by p.title")
            page.click("#run")
            page.wait_for_selector("#refused")
            assert "account_id = :account_id" in page.inner_text("#refused")
            assert page.locator("#result").count() == 0
            page.screenshot(path=str(shots / "console-refused.png"))
        finally:
            browser.close()
    assert outside == [] and any(u.endswith("/static/studio.css") for u in inside)  # every request was seen, none left
    assert "edited in the browser" in (tmp_path / "audit.jsonl").read_text()

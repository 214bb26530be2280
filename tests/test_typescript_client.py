"""`vesta-sql export typescript`: the committed client is current, the export refuses what Python refuses, tsc types it.

The type tests compile consumer modules with the pinned TypeScript (package.json), with no
tsconfig and no types package: a correct module passes; a missing `accountId`, a misspelled
parameter, a wrong type or an unawaited result used as a record fail, each with its error.
The compiled client then runs under Node ESM, and the real `D1Database` of the Workers runtime
(`wrangler types`) fits `connect`, as a database and as a session.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from vesta_sql.admin.export.typescript import client_files, stale_files

from .cli_support import run
from .test_d1 import TIMEOUT_S, _require_node, _wrangler_env

ROOT = Path(__file__).resolve().parents[1]
CLIENT = ROOT / "clients" / "typescript"
TSC = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
WRANGLER_CONFIG = ROOT / "tests" / "workers" / "wrangler.toml"


def test_the_committed_client_is_what_the_export_writes_now() -> None:
    stale = stale_files(CLIENT)
    assert not stale, (f"clients/typescript is stale ({', '.join(stale)}): "
                       "run `vesta-sql export typescript --out clients/typescript`")


def test_the_check_option_fails_on_a_stale_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "client"
    assert run(capsys, "export", "typescript", "--out", str(out)).code == 0
    assert sorted(path.name for path in out.iterdir()) == ["README.md", "VERSION", "index.ts", "package.json"]
    assert run(capsys, "export", "typescript", "--out", str(out), "--check").code == 0
    (out / "index.ts").write_text("// edited by hand\n", encoding="utf-8")
    checked = run(capsys, "export", "typescript", "--out", str(out), "--check")
    assert checked.code == 1 and "index.ts: stale; run `vesta-sql export typescript" in checked.out


def test_the_version_stamp_and_package(tmp_path: Path) -> None:
    files = client_files()
    package = json.loads(files["package.json"])
    migrations = sorted(path.stem for path in (ROOT / "migrations" / "sqlite").glob("*.sql"))
    assert package["type"] == "module" and package["vesta"]["schema"] == migrations[-1]
    assert f'export const SCHEMA_VERSION = "{migrations[-1]}";' in files["index.ts"]
    assert f'export const PACKAGE_VERSION = "{package["version"]}";' in files["index.ts"]
    assert files["VERSION"] == f"vesta-sql {package['version']}\nschema {migrations[-1]}\n"
    assert not re.search(r"^import ", files["index.ts"], re.MULTILINE)  # one file that imports nothing


def test_queries_marked_d1_no_are_not_exported() -> None:
    text = client_files()["index.ts"]
    assert "search_version:" not in text and "searchVersion(" not in text and "search_vectors:" not in text
    assert "findById(args: PostsFindByIdArgs): Promise<Post | null>;" in text


def test_an_apps_folder_is_exported_and_an_unproven_file_stops_the_export(tmp_path: Path,
                                                                         capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "client"
    assert run(capsys, "export", "typescript", "--out", str(out), "--queries", str(ROOT / "tests" / "sql" / "extra")).code == 0
    assert "creatorCount(args: FanStatsCreatorCountArgs): Promise<string | number | null>;" in (out / "index.ts").read_text()
    leaky = tmp_path / "leaky"
    leaky.mkdir()
    (leaky / "fans.sql").write_text(
        "-- name: everyone(account_id)\n-- record_class: Creator\n"
        "select c.id, c.account_id, c.name, c.slug, c.bio, c.email, c.workos_org_id, c.created_at, c.updated_at\n"
        "  from creators c\n where c.account_id = :account_id or 1 = 1;\n", encoding="utf-8")
    refused = run(capsys, "export", "typescript", "--out", str(tmp_path / "refused"), "--queries", str(leaky))
    assert refused.code == 1 and f"{leaky / 'fans.sql'}:" in refused.err and "fans.everyone" in refused.err, refused.err
    assert "Traceback" not in refused.err and not (tmp_path / "refused").exists()
    missing = run(capsys, "export", "typescript")
    assert missing.code == 1 and "export typescript needs --out DIR" in missing.err


GOOD = """\
import { checkSchema, connect, TenantScopeError, SCHEMA_VERSION, toDate } from "./client/index.js";
import type { Creator, D1BindingLike } from "./client/index.js";

export async function load(binding: D1BindingLike, accountId: string, creatorId: string): Promise<{ creator: Creator | null }> {
  const db = connect(binding);
  const creator = await db.creators.findById({ accountId, id: creatorId });
  const name: string | undefined = creator?.name;
  const posts = await db.posts.listByCreator({ accountId, creatorId, status: "published", limit: 10,
                                               beforeCreatedAt: new Date() });
  const post = posts.length ? await db.posts.findById({ accountId, id: posts[0].id }) : null;
  const embedding: Float32Array | null = post ? post.embedding : null;
  const removed: number = await db.creators.delete({ accountId, id: "x" });
  const liked: boolean | null = await db.engagement.hasLiked({ accountId, postId: "p", userId: "u" });
  const codes = await db.purchaseCodes.createBatch({ accountId, codes: ["A", "B"], expiresAt: "2030-01-01T00:00:00.000000Z" });
  const owner: string | null = await db.resolveAccount("smart_link", "a-slug");
  const bookmark: string | null = db.bookmark();
  const when: Date = toDate(codes[0].createdAt);
  await checkSchema(binding, { allowNewer: false });
  void [name, embedding, removed, liked, owner, bookmark, when, SCHEMA_VERSION, TenantScopeError];
  return { creator };
}
"""

BAD = {
    "missing_account": ("db.creators.findById({ id: \"c1\" });", "TS2345"),
    "misspelled_parameter": ("db.creators.findById({ accountId: \"a\", idd: \"c1\" });", "TS2353"),
    "wrong_type": ("db.posts.listByCreator({ accountId: \"a\", creatorId: \"c\", limit: \"10\" });", "TS2322"),
    "unawaited_record": ("const creator = db.creators.findById({ accountId: \"a\", id: \"c1\" }); creator.name;", "TS2339"),
}

CLOUDFLARE = """\
import { connect } from "./client/index.js";

export default {
  async fetch(request: Request, env: { DB: D1Database }): Promise<Response> {
    const db = connect(env.DB);
    const session = connect(env.DB.withSession(request.headers.get("x-d1-bookmark") ?? "first-unconstrained"));
    const creator = await session.creators.findById({ accountId: "a", id: "c" });
    return Response.json({ creator, plain: db.bookmark(), bookmark: session.bookmark() });
  },
};
"""


def _tsc(*args: str, cwd: Path, module: str = "nodenext") -> subprocess.Popen[str]:
    return subprocess.Popen(["node", str(TSC), "--strict", "--target", "es2022", "--module", module, *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_tsc_strict_accepts_correct_calls_and_refuses_wrong_ones(tmp_path: Path) -> None:
    _require_node()
    assert TSC.is_file(), "typescript is not installed: run `npm ci` at the repository root"
    shutil.copytree(CLIENT, tmp_path / "client")
    (tmp_path / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    (tmp_path / "good.ts").write_text(GOOD, encoding="utf-8")
    for name, (line, _) in BAD.items():
        (tmp_path / f"{name}.ts").write_text(
            f'import {{ connect, type D1BindingLike }} from "./client/index.js";\n'
            f"export function f(binding: D1BindingLike): void {{\n  const db = connect(binding);\n  {line}\n}}\n",
            encoding="utf-8")
    (tmp_path / "cloudflare").mkdir()
    shutil.copytree(CLIENT, tmp_path / "cloudflare" / "client")
    (tmp_path / "cloudflare" / "package.json").write_text('{"type": "module"}\n', encoding="utf-8")
    (tmp_path / "cloudflare" / "worker.ts").write_text(CLOUDFLARE, encoding="utf-8")
    types = subprocess.run(["node", str(ROOT / "node_modules" / "wrangler" / "bin" / "wrangler.js"), "types", "-c",
                            str(WRANGLER_CONFIG), "--include-env=false", str(tmp_path / "cloudflare" / "runtime.d.ts")],
                           cwd=ROOT, env=_wrangler_env(tmp_path), capture_output=True, text=True, timeout=TIMEOUT_S)
    assert types.returncode == 0, types.stdout + types.stderr
    consumers = _tsc("--outDir", "out", "good.ts", *(f"{name}.ts" for name in BAD), cwd=tmp_path)
    # as a Workers project compiles (a bundler, the runtime's own types instead of the DOM's)
    workers = _tsc("--noEmit", "--lib", "es2022", "--moduleResolution", "bundler", "runtime.d.ts", "worker.ts",
                   cwd=tmp_path / "cloudflare", module="es2022")
    output = consumers.communicate(timeout=TIMEOUT_S)[0]
    worker_output = workers.communicate(timeout=TIMEOUT_S)[0]
    errors = re.findall(r"^(\w+)\.ts\(\d+,\d+\): error (TS\d+)", output, re.MULTILINE)
    assert "good" not in {file for file, _ in errors}, output
    assert "client/index" not in output, output
    for name, (_, code) in BAD.items():
        assert (name, code) in errors, f"{name}: expected {code}\n{output}"
    assert workers.returncode == 0, worker_output

    # the compiled client runs under Node ESM (its guard and its refusal of a non-binding, no database needed)
    script = ("import { connect, requireAccount, SCHEMA_VERSION, TenantScopeError } from './out/client/index.js';"
              "const refused = (f) => { try { f(); return null; } catch (e) { return [e.name, e instanceof TenantScopeError,"
              " e.message]; } };"
              "console.log(JSON.stringify([SCHEMA_VERSION, refused(() => requireAccount(' acc')),"
              " refused(() => connect(null))]));")
    ran = subprocess.run(["node", "--input-type=module", "-e", script], cwd=tmp_path, capture_output=True, text=True,
                         timeout=TIMEOUT_S, env={**os.environ, "NODE_NO_WARNINGS": "1"})
    assert ran.returncode == 0, ran.stderr
    version, guard, binding = json.loads(ran.stdout)
    assert version == json.loads(client_files()["package.json"])["vesta"]["schema"]
    assert guard == ["TenantScopeError", True, "accountId must not have surrounding whitespace"]
    assert binding[0] == "TypeError" and "pass a D1 binding (env.DB)" in binding[2]

// One long-lived local D1 (workerd, through wrangler's getPlatformProxy) answering queries
// as JSON lines, so that the Python tests can run many statements without a process each.
//
//   node tests/d1/runner.mjs --config tests/d1/wrangler.toml --persist DIR [--binding DB]
//
// DIR is the state root that `wrangler d1 … --local --persist-to X` uses, i.e. X/v3.
// Request, one JSON object per line on stdin:
//   {"id": 1, "sql": "select … where a = ?1", "params": [...], "mode": "raw" | "all" | "run" | "changes"}
//   params: JSON scalars; a blob is {"$blob": "<base64>"}.
// Answer, one JSON object per line on stdout, in request order:
//   {"id": 1, "ok": true, "columns": [...], "rows": [[...]], "meta": {...}}   (raw)
//   {"id": 1, "ok": true, "results": [{...}], "meta": {...}}                  (all)
//   {"id": 1, "ok": true, "meta": {...}}                                      (run)
//   {"id": 1, "ok": true, "meta": {...}, "changes": n}                        (changes)
//   {"id": 1, "ok": false, "error": "message"}
//   blob values in rows come back as {"$blob": "<base64>"}.
// A first line {"ready": true} is written once the database is up.

import { createInterface } from "node:readline";
import { resolve } from "node:path";
import { getPlatformProxy } from "wrangler";

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  if (index === -1 || index + 1 >= process.argv.length) {
    if (fallback === undefined) throw new Error(`missing --${name}`);
    return fallback;
  }
  return process.argv[index + 1];
}

function decodeParam(value) {
  if (value !== null && typeof value === "object" && typeof value.$blob === "string") {
    const bytes = Buffer.from(value.$blob, "base64");
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }
  return value;
}

function encodeValue(value) {
  if (value instanceof ArrayBuffer) return { $blob: Buffer.from(value).toString("base64") };
  if (ArrayBuffer.isView(value)) return { $blob: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("base64") };
  if (Array.isArray(value)) return { $blob: Buffer.from(value).toString("base64") }; // D1 returns blobs as arrays of bytes
  if (typeof value === "bigint") return Number(value);
  return value;
}

function write(message) {
  process.stdout.write(JSON.stringify(message) + "\n");
}

async function answer(db, request) {
  const statement = db.prepare(request.sql).bind(...(request.params ?? []).map(decodeParam));
  const mode = request.mode ?? "raw";
  if (mode === "run") {
    const result = await statement.run();
    return { meta: result.meta };
  }
  if (mode === "changes") {
    // meta.changes counts rows changed by triggers and foreign-key cascades too; changes(),
    // read right after in the same batch (one transaction), counts the statement's own rows.
    const [result, counted] = await db.batch([statement, db.prepare("select changes() as changes")]);
    return { meta: result.meta, changes: counted.results[0].changes };
  }
  if (mode === "all") {
    const result = await statement.all();
    return {
      results: result.results.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, encodeValue(v)]))),
      meta: result.meta,
    };
  }
  if (mode === "raw") {
    const [columns, ...rows] = await statement.raw({ columnNames: true });
    return { columns: columns ?? [], rows: rows.map((row) => row.map(encodeValue)) };
  }
  throw new Error(`unknown mode ${JSON.stringify(mode)}`);
}

async function main() {
  const proxy = await getPlatformProxy({
    configPath: resolve(option("config")),
    persist: { path: resolve(option("persist")) },
    remoteBindings: false,
  });
  const db = proxy.env[option("binding", "DB")];
  if (!db) throw new Error("no such D1 binding in the configuration");
  write({ ready: true });

  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let request;
    try {
      request = JSON.parse(line);
    } catch (error) {
      write({ id: null, ok: false, error: `bad request: ${error.message}` });
      continue;
    }
    try {
      write({ id: request.id ?? null, ok: true, ...(await answer(db, request)) });
    } catch (error) {
      const cause = error && error.cause ? `: ${error.cause.message ?? error.cause}` : "";
      write({ id: request.id ?? null, ok: false, error: `${error.message}${cause}` });
    }
  }
  await proxy.dispose();
}

main().catch((error) => {
  process.stderr.write(`runner: ${error.stack ?? error}\n`);
  process.exit(1);
});

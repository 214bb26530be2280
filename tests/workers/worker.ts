// The test Worker: runs calls of the generated client on the local D1 and answers JSON.
//
// POST / {"calls": [{"namespace": "creators", "name": "findById", "args": {...}}], "session"?: string | null, "batch"?: n}
//   namespace "" calls the client itself (resolveAccount, with args as its argument list);
//   "session" (a bookmark, or null for a new session) makes the client on env.DB.withSession(…).
// Answer: {"results": [{"ok": true, "value": ...} | {"ok": false, "error": {"name", "message"}}], "prepares": n, "bookmark": ...}
// Float32Array values travel as {"$f32": base64 of the little-endian bytes}; an argument
// {"$f32": [numbers]} becomes a Float32Array and {"$date": "ISO"} a Date.
import { checkSchema, connect, type D1BindingLike } from "../../clients/typescript/index.js";

interface SessionBinding extends D1BindingLike {
  withSession(constraintOrBookmark?: string): D1BindingLike;
}

interface Call {
  namespace: string;
  name: string;
  args: unknown;
}

function decode(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === "object") {
    const object = value as Record<string, unknown>;
    if (Array.isArray(object.$f32)) return new Float32Array(object.$f32 as number[]);
    if (typeof object.$date === "string") return new Date(object.$date);
    return Object.fromEntries(Object.entries(object).map(([key, inner]) => [key, decode(inner)]));
  }
  return value;
}

function encode(value: unknown): unknown {
  if (value instanceof Float32Array) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    let text = "";
    for (const byte of bytes) text += String.fromCharCode(byte);
    return { $f32: btoa(text) };
  }
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, inner]) => [key, encode(inner)]));
  }
  return value;
}

export default {
  async fetch(request: Request, env: { DB: SessionBinding }): Promise<Response> {
    const body = (await request.json()) as { calls?: Call[]; session?: string | null; countPrepares?: boolean; checkSchema?: { allowNewer?: boolean } };
    const real = body.session === undefined ? env.DB : env.DB.withSession(body.session ?? "first-unconstrained");
    // "countPrepares": count the statements the client prepares (the guard must refuse before any)
    let prepares = 0;
    const binding: D1BindingLike = body.countPrepares
      ? {
        prepare: (query: string) => (prepares++, real.prepare(query)),
        batch: (statements) => real.batch(statements),
        getBookmark: () => (real.getBookmark ? real.getBookmark() : null),
      }
      : real;
    if (body.checkSchema) {
      try {
        await checkSchema(binding, body.checkSchema);
        return Response.json({ ok: true });
      } catch (error) {
        return Response.json({ ok: false, error: { name: (error as Error).name, message: (error as Error).message } });
      }
    }
    const db = connect(binding) as unknown as Record<string, Record<string, (args: unknown) => Promise<unknown>>>;
    const results = [];
    for (const call of body.calls ?? []) {
      try {
        const args = decode(call.args);
        const value = call.namespace === ""
          ? await (db as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[call.name](...(args as unknown[]))
          : await db[call.namespace][call.name](args);
        results.push({ ok: true, value: encode(value) });
      } catch (error) {
        results.push({ ok: false, error: { name: (error as Error).name, message: (error as Error).message } });
      }
    }
    return Response.json({ results, prepares, bookmark: (db as unknown as { bookmark(): string | null }).bookmark() });
  },
};

type Program = (binding: D1BindingLike, clock: Clock, args: unknown) => Promise<unknown>;

export interface ClientBase {
  /** The one way into an account from outside: the account owning a public key (a smart-link slug …), or null. */
  resolveAccount(kind: AccountKeyKind, key: string): Promise<string | null>;
  /**
   * The D1 session's latest bookmark, to carry to the next request (`env.DB.withSession(bookmark)`);
   * null for a plain database binding, or a session that has not run a query yet.
   */
  bookmark(): string | null;
}

function camelName(name: string): string {
  return name.replace(/_([^_])/g, (_, first: string) => first.toUpperCase());
}

/**
 * The typed client over a D1 binding or a D1 session. It makes no D1 call: make one per request.
 * Ids and `now` come from this client's clock, strictly increasing within it.
 */
export function connect(binding: D1BindingLike): Client {
  if (typeof binding !== "object" || binding === null || typeof binding.prepare !== "function" || typeof binding.batch !== "function") {
    throw new TypeError("connect(binding): pass a D1 binding (env.DB) or a D1 session (env.DB.withSession(…))");
  }
  const clock = new Clock();
  const client: Record<string, unknown> = {
    resolveAccount: (kind: string, key: string) =>
      run(binding, clock, "account_directory.resolve", QUERIES.account_directory.resolve, { kind, key }),
    bookmark: () => (typeof binding.getBookmark === "function" ? binding.getBookmark() : null),
  };
  for (const [namespace, queries] of Object.entries(QUERIES)) {
    if (namespace === "account_directory") continue;
    const functions: Record<string, unknown> = {};
    for (const [name, spec] of Object.entries(queries as Record<string, QuerySpec>)) {
      const qualified = `${namespace}.${name}`;
      functions[camelName(name)] = (args: unknown) => run(binding, clock, qualified, spec, args);
    }
    for (const [name, program] of Object.entries(PROGRAMS[namespace] ?? {})) {
      functions[name] = (args: unknown) => program(binding, clock, args);
    }
    client[NAMESPACES[namespace]] = Object.freeze(functions);
  }
  return Object.freeze(client) as unknown as Client;
}

/**
 * Refuse a database that is not at this client's schema: every migration of `SCHEMA_MIGRATIONS`
 * applied (wrangler's `d1_migrations`, or yoyo's record on a file migrated by `vesta-sql migrate`),
 * and none it does not know unless `allowNewer` (a rolling deploy). Call it at deploy or in a health check.
 */
export async function checkSchema(binding: D1BindingLike, options: { allowNewer?: boolean } = {}): Promise<void> {
  const tables = (await binding.prepare(
    "select name from sqlite_master where type = 'table' and name in ('d1_migrations', '_yoyo_migration')").all()).results as { name: string }[];
  const names = tables.map((table) => table.name);
  let applied: string[];
  if (names.includes("d1_migrations")) {
    const rows = (await binding.prepare("select name from d1_migrations").all()).results as { name: string }[];
    applied = rows.map((row) => row.name.replace(/\.sql$/, ""));
  } else if (names.includes("_yoyo_migration")) {
    const rows = (await binding.prepare("select migration_id as name from _yoyo_migration").all()).results as { name: string }[];
    applied = rows.map((row) => row.name);
  } else {
    throw new SchemaVersionError(`the database is not migrated, this client expects ${SCHEMA_VERSION}: ` +
      "run `npx wrangler d1 migrations apply <database>` with the vesta-sql migrations folder");
  }
  const missing = SCHEMA_MIGRATIONS.filter((migration) => !applied.includes(migration));
  if (missing.length) {
    throw new SchemaVersionError(`the database lacks ${missing.length} migration(s) this client expects (${missing.join(", ")}): ` +
      "apply them with `npx wrangler d1 migrations apply`");
  }
  const newer = applied.filter((migration) => !SCHEMA_MIGRATIONS.includes(migration));
  if (newer.length && !options.allowNewer) {
    throw new SchemaVersionError(`the database has migration(s) newer than this client (${newer.join(", ")}): ` +
      "regenerate the client (`vesta-sql export typescript`), or pass { allowNewer: true } if they are compatible");
  }
}

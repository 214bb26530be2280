// ---- queries -----------------------------------------------------------------------------

export type Op = "many" | "one" | "value" | "count" | "returning";

export interface QuerySpec {
  sql: string;
  op: Op;
  /** the `?N` order: binds[0] is ?1 */
  binds: readonly string[];
  /** parameter name (snake_case, as in the SQL) → camelCase argument name */
  args: Readonly<Record<string, string>>;
  params: Readonly<Record<string, ParamSpec>>;
  record?: readonly FieldSpec[];
  returns?: "bool" | "int" | "float" | "str";
  directory?: boolean;
}

const INTEGRITY = /(UNIQUE|FOREIGN KEY|CHECK|NOT NULL) constraint failed/;

function translate(error: unknown, query: string): Error {
  // D1 puts SQLite's own words in `cause` (typed loosely: `Error.cause` is ES2022's)
  const cause = (error as { cause?: unknown } | null)?.cause;
  const message = error instanceof Error ? `${error.message}${cause instanceof Error ? `: ${cause.message}` : ""}` : String(error);
  if (message.includes("vesta: account not registered")) {
    return new IntegrityError(`${query}: the account is not registered: register it first (db.accounts.register({ accountId }))`);
  }
  return INTEGRITY.test(message) ? new IntegrityError(`${query}: ${message}`) : new DatabaseError(`${query}: ${message}`);
}

/** The statement for one call: guard, validation and encoding happen here, before `prepare`. */
export function statement(binding: D1BindingLike, clock: Clock, name: string, spec: QuerySpec, args: unknown): D1PreparedStatementLike {
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new TenantScopeError(`${name}: pass one object of arguments, with accountId`);
  }
  const given = args as Record<string, unknown>;
  const values: Record<string, unknown> = {};
  if (!spec.directory) values.account_id = requireAccount(given.accountId);
  // `now` is the client's clock, never an argument
  const known = new Set(Object.keys(spec.args).filter((param) => spec.params[param].kind !== "now").map((param) => spec.args[param]));
  if (!spec.directory) known.add("accountId");
  for (const key of Object.keys(given)) {
    if (!known.has(key)) throw new InvalidInputError(`${name}: unexpected argument '${key}' (the query takes ${[...known].join(", ")})`);
  }
  for (const [param, argument] of Object.entries(spec.args)) {
    const param_spec = spec.params[param];
    let value = given[argument];
    if (param_spec.kind === "now") {
      values[param] = clock.now();
      continue;
    }
    if (value === undefined) {
      if (param_spec.kind === "new_id") value = clock.newId();
      else if (param_spec.required) throw new InvalidInputError(`${name}: missing argument '${argument}'`);
      else value = param_spec.default === "max" && param_spec.kind === "datetime" ? MAX_TIME : param_spec.default ?? null;
    }
    values[param] = encodeParam(name, argument, param_spec, value);
  }
  return binding.prepare(spec.sql).bind(...spec.binds.map((bind) => values[bind]));
}

export async function run(binding: D1BindingLike, clock: Clock, name: string, spec: QuerySpec, args: unknown): Promise<unknown> {
  const prepared = statement(binding, clock, name, spec, args);
  let rows: Record<string, unknown>[];
  try {
    if (spec.op === "count") {
      // meta.changes also counts trigger and cascade rows: changes(), right after in the same batch, is the statement's own
      const [, counted] = await binding.batch([prepared, binding.prepare("select changes() as n")]);
      return (counted.results[0] as { n: number }).n;
    }
    rows = (await prepared.all()).results as Record<string, unknown>[];
  } catch (error) {
    throw translate(error, name);
  }
  return shape(name, spec, rows);
}

export function shape(name: string, spec: QuerySpec, rows: Record<string, unknown>[]): unknown {
  if (spec.op === "value") {
    if (rows.length === 0) return null;
    const value = Object.values(rows[0])[0];
    if (value === null || value === undefined) return null;
    return spec.returns === "bool" ? value === 1 || value === true : value;
  }
  const fields = spec.record ?? [];
  if (spec.op === "many") return rows.map((row) => decodeRecord(fields, row, name));
  return rows.length ? decodeRecord(fields, rows[0], name) : null;
}

/** Several statements as one atomic D1 batch (all or nothing); each result shaped as its query's. */
export async function batch(binding: D1BindingLike, name: string, calls: { spec: QuerySpec; statement: D1PreparedStatementLike }[]): Promise<unknown[]> {
  let results: { results: unknown[] }[];
  try {
    results = await binding.batch(calls.map((call) => call.statement));
  } catch (error) {
    throw translate(error, name);
  }
  return results.map((result, index) => shape(name, calls[index].spec, result.results as Record<string, unknown>[]));
}

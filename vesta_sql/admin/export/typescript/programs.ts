export interface PurchaseCodesCreateBatchArgs {
  accountId: string;
  codes: readonly string[];
  tierId?: string | null;
  expiresAt?: Date | Timestamp | null;
}

export const MAX_BATCH = 1_000;

async function createPurchaseCodes(binding: D1BindingLike, clock: Clock, args: unknown): Promise<unknown> {
  const name = "purchase_codes.create_batch";
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new TenantScopeError(`${name}: pass one object of arguments, with accountId`);
  }
  const given = args as Record<string, unknown>;
  requireAccount(given.accountId);
  for (const key of Object.keys(given)) {
    if (!["accountId", "codes", "tierId", "expiresAt"].includes(key)) {
      throw new InvalidInputError(`${name}: unexpected argument '${key}' (the program takes accountId, codes, tierId, expiresAt)`);
    }
  }
  const codes = given.codes;
  if (!Array.isArray(codes)) throw new InvalidInputError(`${name}: codes must be a list of str`);
  if (codes.length === 0) throw new InvalidInputError(`${name}: codes must not be empty`);
  if (codes.length > MAX_BATCH) throw new InvalidInputError(`${name}: ${codes.length} codes; the limit is ${MAX_BATCH}`);
  const seen = new Set<string>();
  codes.forEach((code: unknown, index: number) => {
    if (typeof code !== "string" || code.trim() === "") throw new InvalidInputError(`${name}: codes[${index}] must be a non-empty str`);
    if (seen.has(code)) throw new InvalidInputError(`${name}: code '${code}' appears twice`);
    seen.add(code);
  });
  const spec: QuerySpec = QUERIES.purchase_codes.create;
  const calls = (codes as string[]).map((code) => ({
    spec,
    statement: statement(binding, clock, "purchase_codes.create", spec,
      { accountId: given.accountId, code, tierId: given.tierId, expiresAt: given.expiresAt }),
  }));
  return batch(binding, name, calls);
}

const PROGRAMS: Record<string, Record<string, Program>> = { purchase_codes: { createBatch: createPurchaseCodes } };

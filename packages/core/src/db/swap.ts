/**
 * Renaming databases safely: names kept within PostgreSQL's 63-byte limit (it would cut them silently),
 * new connections refused and existing ones terminated before a rename, and a swap (old aside, new in
 * place) done in one transaction so the name always points at a complete database.
 */
import type pg from "pg";
import { OperationFailedError, UsageError } from "../errors.js";
import { quoteIdent, withClient, withDatabase } from "./connection.js";

/** PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * `base + suffix` cut to 63 bytes by shortening `base` (on a character boundary), so the suffix — the part
 * that makes the name unique — survives.
 *
 * @example fitDatabaseName("odoo_prod", "_before_20261127T093512Z") // "odoo_prod_before_20261127T093512Z"
 */
export function fitDatabaseName(base: string, suffix: string): string {
  const suffixBytes = Buffer.byteLength(suffix);
  if (suffixBytes >= MAX_IDENTIFIER_BYTES) throw new UsageError(`name suffix too long: ${suffix}`);
  let out = base;
  while (Buffer.byteLength(out) + suffixBytes > MAX_IDENTIFIER_BYTES) out = [...out].slice(0, -1).join("");
  return out + suffix;
}

/**
 * The name a database is renamed to when replaced: `<db>_before_<timestamp>`, within 63 bytes.
 *
 * @example asideDatabaseName("odoo_prod", new Date("2026-11-27T09:35:12Z")) // "odoo_prod_before_20261127T093512Z"
 */
export function asideDatabaseName(database: string, at: Date = new Date()): string {
  const ts = at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
  return fitDatabaseName(database, `_before_${ts}`);
}

/** True when a database of that name exists on the server of `url`. @example await databaseExists(url, "odoo_prod") */
export async function databaseExists(url: string, name: string): Promise<boolean> {
  return withClient(withDatabase(url, "postgres"), async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1);
}

/** Options of {@link swapDatabase}. */
export interface SwapDatabaseOptions {
  /** Any URL of the server (a maintenance connection to `postgres` is made from it). */
  dbUrl: string;
  /** The name that must end up pointing at `replacement`. */
  database: string;
  /** The complete database to put in place. */
  replacement: string;
  /** Name for the old database (default {@link asideDatabaseName}). */
  asideName?: string;
  /** Milliseconds to keep terminating sessions before giving up (default 15 s). */
  terminateTimeoutMs?: number;
  signal?: AbortSignal;
}

/** What {@link swapDatabase} did. */
export interface SwapResult {
  database: string;
  /** Where the old database now lives; undefined when there was none. */
  asideName?: string;
  terminatedSessions: number;
}

/**
 * Puts `replacement` under the name `database`: refuses new connections to both, terminates their sessions,
 * then in one transaction renames the old database aside and the replacement into place. The old database is
 * kept (never dropped) and accepts connections again afterwards. When `database` does not exist, the
 * replacement is simply renamed.
 *
 * @example
 * const r = await swapDatabase({ dbUrl, database: "odoo_prod", replacement: "odoo_prod_restore_x" });
 * console.log(r.asideName); // odoo_prod_before_20261127T093512Z
 */
export async function swapDatabase(o: SwapDatabaseOptions): Promise<SwapResult> {
  if (o.database === o.replacement) throw new UsageError("swap: database and replacement are the same");
  return withClient(
    withDatabase(o.dbUrl, "postgres"),
    async (c) => {
      const exists = async (n: string) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [n])).rowCount === 1;
      if (!(await exists(o.replacement))) throw new UsageError(`swap: database ${o.replacement} does not exist`, { code: "DB_NOT_FOUND" });
      const hasOld = await exists(o.database);
      const aside = hasOld ? (o.asideName ?? asideDatabaseName(o.database)) : undefined;
      if (aside && Buffer.byteLength(aside) > MAX_IDENTIFIER_BYTES) throw new UsageError(`swap: name longer than 63 bytes: ${aside}`);
      if (aside && (await exists(aside))) throw new UsageError(`swap: database ${aside} already exists`, { code: "DB_EXISTS" });
      const names = hasOld ? [o.database, o.replacement] : [o.replacement];
      for (const n of names) await c.query(`ALTER DATABASE ${quoteIdent(n)} ALLOW_CONNECTIONS false`);
      let terminated = 0;
      try {
        terminated = await renameWithRetry(c, names, o.terminateTimeoutMs ?? 15_000, o.signal, async () => {
          await c.query("BEGIN");
          try {
            if (aside) await c.query(`ALTER DATABASE ${quoteIdent(o.database)} RENAME TO ${quoteIdent(aside)}`);
            await c.query(`ALTER DATABASE ${quoteIdent(o.replacement)} RENAME TO ${quoteIdent(o.database)}`);
            await c.query("COMMIT");
          } catch (e) {
            await c.query("ROLLBACK").catch(() => {});
            throw e;
          }
        });
      } finally {
        // Whatever happened, every database that exists now accepts connections again.
        for (const n of [o.database, o.replacement, ...(aside ? [aside] : [])]) {
          if (await exists(n)) await c.query(`ALTER DATABASE ${quoteIdent(n)} ALLOW_CONNECTIONS true`).catch(() => {});
        }
      }
      return { database: o.database, ...(aside ? { asideName: aside } : {}), terminatedSessions: terminated };
    },
    { signal: o.signal, applicationName: "odoo-deploy swap" },
  );
}

/** Options of {@link renameDatabase}. */
export interface RenameDatabaseOptions {
  dbUrl: string;
  from: string;
  to: string;
  terminateTimeoutMs?: number;
  signal?: AbortSignal;
}

/**
 * Renames one database (e.g. aside, before a rollback puts another in its place), refusing and terminating
 * its connections first. Refuses a name over 63 bytes instead of letting PostgreSQL cut it.
 *
 * @example await renameDatabase({ dbUrl, from: "odoo_prod", to: asideDatabaseName("odoo_prod") });
 */
export async function renameDatabase(o: RenameDatabaseOptions): Promise<{ terminatedSessions: number }> {
  if (Buffer.byteLength(o.to) > MAX_IDENTIFIER_BYTES) throw new UsageError(`rename: name longer than 63 bytes: ${o.to}`);
  return withClient(
    withDatabase(o.dbUrl, "postgres"),
    async (c) => {
      await c.query(`ALTER DATABASE ${quoteIdent(o.from)} ALLOW_CONNECTIONS false`);
      let renamed = false;
      try {
        const n = await renameWithRetry(c, [o.from], o.terminateTimeoutMs ?? 15_000, o.signal, async () => {
          await c.query(`ALTER DATABASE ${quoteIdent(o.from)} RENAME TO ${quoteIdent(o.to)}`);
          renamed = true;
        });
        return { terminatedSessions: n };
      } finally {
        await c.query(`ALTER DATABASE ${quoteIdent(renamed ? o.to : o.from)} ALLOW_CONNECTIONS true`).catch(() => {});
      }
    },
    { signal: o.signal, applicationName: "odoo-deploy swap" },
  );
}

/**
 * Terminates every other session on `names`, then runs `rename`; a session that slipped in between
 * (error 55006, "being accessed by other users") is terminated and the rename retried until the timeout.
 */
async function renameWithRetry(
  c: pg.Client,
  names: string[],
  timeoutMs: number,
  signal: AbortSignal | undefined,
  rename: () => Promise<void>,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let terminated = 0;
  for (;;) {
    const r = await c.query<{ ok: boolean }>(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> pg_backend_pid()",
      [names],
    );
    terminated += r.rows.filter((x) => x.ok).length;
    try {
      await rename();
      return terminated;
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (code !== "55006" || Date.now() > deadline || signal?.aborted) {
        if (code === "55006") {
          throw new OperationFailedError(`could not rename ${names.join(", ")}: sessions kept reconnecting`, { code: "DB_BUSY", cause: e });
        }
        throw e;
      }
      await new Promise((res) => setTimeout(res, 200));
    }
  }
}

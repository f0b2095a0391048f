/**
 * Renaming databases safely: names kept within PostgreSQL's 63-byte limit (it would cut them silently), and
 * renames done in one transaction that never commits `ALLOW_CONNECTIONS false`. A rename takes an exclusive
 * lock on its database; a session that connects meanwhile waits on that lock and is turned away once the rename
 * commits ("it seems to have just been renamed"). Sessions already there are terminated from a second connection
 * while the rename waits for them to leave. So a process killed at any point leaves either the old names or the
 * new ones, every database accepting connections.
 */
import type pg from "pg";
import { OperationFailedError, throwIfAborted, UsageError } from "../errors.js";
import { newRunId } from "../util/run-id.js";
import { connect, quoteIdent, withClient, withDatabase } from "./connection.js";

/** PostgreSQL's identifier limit in bytes (NAMEDATALEN - 1). */
export const MAX_IDENTIFIER_BYTES = 63;

/**
 * `base + suffix` cut to 63 bytes by shortening `base` (on a character boundary), so the suffix — the part
 * that makes the name unique — survives.
 *
 * @example fitDatabaseName("odoo_prod", "_before_20261127T093512Z_3f9a1c") // "odoo_prod_before_20261127T093512Z_3f9a1c"
 */
export function fitDatabaseName(base: string, suffix: string): string {
  const suffixBytes = Buffer.byteLength(suffix);
  if (suffixBytes >= MAX_IDENTIFIER_BYTES) throw new UsageError(`name suffix too long: ${suffix}`);
  let out = base;
  while (Buffer.byteLength(out) + suffixBytes > MAX_IDENTIFIER_BYTES) out = [...out].slice(0, -1).join("");
  return out + suffix;
}

/**
 * The name a database is renamed to when replaced: `<db>_before_<run id>`, within 63 bytes, unique per run
 * (a run id is the UTC second and a random part, see {@link newRunId}; a `Date` gets a fresh random part).
 *
 * @example asideDatabaseName("odoo_prod", "20261127T093512Z_3f9a1c") // "odoo_prod_before_20261127T093512Z_3f9a1c"
 */
export function asideDatabaseName(database: string, id: string | Date = newRunId()): string {
  return fitDatabaseName(database, `_before_${typeof id === "string" ? id : newRunId(id)}`);
}

/** True when a database of that name exists on the server of `url`. @example await databaseExists(url, "odoo_prod") */
export async function databaseExists(url: string, name: string): Promise<boolean> {
  return withClient(withDatabase(url, "postgres"), (c) => existsOn(c, name), { applicationName: "odoo-deploy swap" });
}

/** True when `name` exists, asked on an open maintenance connection. @example await existsOn(client, "odoo_prod") */
export async function existsOn(c: pg.Client, name: string): Promise<boolean> {
  return (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name])).rowCount === 1;
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
 * Puts `replacement` under the name `database`: in one transaction, renames the old database aside and the
 * replacement into place, terminating the sessions of both while the renames wait for them. The old database is
 * kept (never dropped). When `database` does not exist, the replacement is simply renamed. Killed at any point,
 * it leaves either both old names or both new ones, and nothing refusing connections. For a database and its
 * filestore together, use {@link prepareSwap} (recoverable).
 *
 * @example
 * const r = await swapDatabase({ dbUrl, database: "odoo_prod", replacement: "odoo_prod_restore_x" });
 * console.log(r.asideName); // odoo_prod_before_20261127T093512Z_3f9a1c
 */
export async function swapDatabase(o: SwapDatabaseOptions): Promise<SwapResult> {
  if (o.database === o.replacement) throw new UsageError("swap: database and replacement are the same");
  return withClient(
    withDatabase(o.dbUrl, "postgres"),
    async (c) => {
      if (!(await existsOn(c, o.replacement))) throw new UsageError(`swap: database ${o.replacement} does not exist`, { code: "DB_NOT_FOUND" });
      const hasOld = await existsOn(c, o.database);
      const aside = hasOld ? (o.asideName ?? asideDatabaseName(o.database)) : undefined;
      if (aside) await assertFreeName(c, aside);
      const { terminated } = await inRenameTransaction(c, o.dbUrl, hasOld ? [o.database, o.replacement] : [o.replacement], o, async () => {
        if (aside) await c.query(`ALTER DATABASE ${quoteIdent(o.database)} RENAME TO ${quoteIdent(aside)}`);
        await c.query(`ALTER DATABASE ${quoteIdent(o.replacement)} RENAME TO ${quoteIdent(o.database)}`);
      });
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
 * Renames one database (e.g. aside, before a rollback puts another in its place), terminating its sessions while
 * the rename waits for them. Refuses a name over 63 bytes instead of letting PostgreSQL cut it.
 *
 * @example await renameDatabase({ dbUrl, from: "odoo_prod", to: asideDatabaseName("odoo_prod") });
 */
export async function renameDatabase(o: RenameDatabaseOptions): Promise<{ terminatedSessions: number }> {
  return withClient(
    withDatabase(o.dbUrl, "postgres"),
    async (c) => {
      await assertFreeName(c, o.to);
      const { terminated } = await inRenameTransaction(c, o.dbUrl, [o.from], o, async () => {
        await c.query(`ALTER DATABASE ${quoteIdent(o.from)} RENAME TO ${quoteIdent(o.to)}`);
      });
      return { terminatedSessions: terminated };
    },
    { signal: o.signal, applicationName: "odoo-deploy swap" },
  );
}

/** Refuses a name PostgreSQL would cut or that is taken. */
async function assertFreeName(c: pg.Client, name: string): Promise<void> {
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) throw new UsageError(`swap: name longer than 63 bytes: ${name}`);
  if (await existsOn(c, name)) throw new UsageError(`swap: database ${name} already exists`, { code: "DB_EXISTS" });
}

/** Options of {@link inRenameTransaction}. */
export interface RenameTransactionOptions {
  /** Milliseconds to keep terminating sessions before giving up (default 15 s). */
  terminateTimeoutMs?: number;
  /** Checked before each attempt; once the transaction has begun it runs to its end (it is short). */
  signal?: AbortSignal;
}

/**
 * Runs `body` (the `ALTER DATABASE … RENAME` statements, and whatever must happen while they hold their locks)
 * in one transaction on `c`, then commits. Sessions on `names` are terminated before, and from a second connection
 * every 100 ms while the transaction is open, so a rename waiting for them to leave (PostgreSQL waits 5 s) finds
 * them gone. A session that still holds on (error 55006) makes the attempt roll back and start over until the
 * deadline. When `body` throws, the transaction is rolled back and the error rethrown.
 *
 * @example await inRenameTransaction(c, url, ["prod"], {}, async () => { await c.query('ALTER DATABASE "prod" RENAME TO "prod_old"'); });
 */
export async function inRenameTransaction<T>(
  c: pg.Client,
  serverUrl: string,
  names: string[],
  o: RenameTransactionOptions,
  body: () => Promise<T>,
): Promise<{ value: T; terminated: number }> {
  const deadline = Date.now() + (o.terminateTimeoutMs ?? 15_000);
  const myPid = (await c.query<{ p: number }>("SELECT pg_backend_pid() AS p")).rows[0]!.p;
  const killer = await connect(withDatabase(serverUrl, "postgres"), { applicationName: "odoo-deploy swap" });
  let terminated = 0;
  const terminate = async () => {
    const r = await killer.query<{ ok: boolean }>(
      "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = ANY($1) AND pid <> $2 AND pid <> pg_backend_pid()",
      [names, myPid],
    );
    terminated += r.rows.filter((x) => x.ok).length;
  };
  try {
    for (;;) {
      throwIfAborted(o.signal);
      await terminate();
      let open = true;
      const terminating = (async () => {
        while (open) {
          await new Promise((res) => setTimeout(res, 100));
          if (open) await terminate().catch(() => {});
        }
      })();
      try {
        await c.query("BEGIN");
        const value = await body();
        open = false;
        await terminating;
        await c.query("COMMIT");
        return { value, terminated };
      } catch (e) {
        open = false;
        await terminating;
        await c.query("ROLLBACK").catch(() => {});
        const code = (e as { code?: string }).code;
        if (code !== "55006") throw e;
        if (Date.now() > deadline || o.signal?.aborted) {
          throw new OperationFailedError(`could not rename ${names.join(", ")}: sessions kept holding on`, { code: "DB_BUSY", cause: e });
        }
        await new Promise((res) => setTimeout(res, 200));
      }
    }
  } finally {
    await killer.end().catch(() => {});
  }
}

/**
 * An identity of the PostgreSQL cluster behind a connection that does not depend on how it was reached (socket or
 * TCP): its system identifier, or `host:port` as the server sees itself when that cannot be read.
 *
 * @example await serverIdentity(client) // "7714774254708271820"
 */
export async function serverIdentity(c: pg.Client): Promise<string> {
  try {
    return String((await c.query<{ id: string }>("SELECT system_identifier::text AS id FROM pg_control_system()")).rows[0]!.id);
  } catch {
    const r = await c.query<{ a: string | null; p: number | null }>("SELECT inet_server_addr()::text AS a, inet_server_port() AS p");
    return `${r.rows[0]?.a ?? "local"}:${r.rows[0]?.p ?? ""}`;
  }
}

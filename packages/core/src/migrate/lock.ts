import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError } from "../errors.js";
import type { Queryable } from "../db/connection.js";

/**
 * The advisory lock key click-odoo-update takes for a database:
 * `int(hashlib.sha1(("click-odoo-update/" + dbname).encode()).hexdigest()[:14], 16)` (ODOO-FACTS.md). Taking
 * the same key makes odoo-deploy and click-odoo-update exclude each other.
 *
 * @example clickOdooUpdateLockKey("odoo_prod") // 56-bit bigint
 */
export function clickOdooUpdateLockKey(dbName: string): bigint {
  return BigInt(`0x${createHash("sha1").update(`click-odoo-update/${dbName}`, "utf8").digest("hex").slice(0, 14)}`);
}

/** A session holding the update lock, as pg_stat_activity shows it. */
export interface LockHolder {
  pid: number;
  applicationName: string | null;
  clientAddr: string | null;
  backendStart: string | null;
}

/** Options of {@link acquireUpdateLock}. */
export interface AcquireUpdateLockOptions {
  /** A connection to the target database itself (advisory locks are per database). */
  client: Queryable;
  /** The Odoo database name the key is derived from. */
  dbName: string;
  /** Another lock key than click-odoo-update's (e.g. {@link deployLockKey}). */
  key?: bigint;
  /** How long to wait for another holder; 0 fails at once. */
  timeoutMs: number;
  /** Called once when the lock is busy, with who holds it. */
  onWait?: (holders: LockHolder[]) => void;
  /** Polling interval (default 250 ms). */
  pollMs?: number;
  signal?: AbortSignal;
}

/** Outcome of {@link acquireUpdateLock}. */
export type AcquireUpdateLockResult =
  | { acquired: true; key: string; waitedMs: number }
  | { acquired: false; key: string; waitedMs: number; holders: LockHolder[] };

/**
 * Takes click-odoo-update's session-level advisory lock on the target database, waiting up to `timeoutMs`
 * while another session holds it. The lock lives as long as the connection (or until
 * `pg_advisory_unlock`), so keep `client` open for the whole update.
 *
 * @example
 * const r = await acquireUpdateLock({ client, dbName: "odoo_prod", timeoutMs: 60_000 });
 * if (!r.acquired) console.error("held by", r.holders);
 */
export async function acquireUpdateLock(options: AcquireUpdateLockOptions): Promise<AcquireUpdateLockResult> {
  const key = options.key ?? clickOdooUpdateLockKey(options.dbName);
  const start = performance.now();
  let warned = false;
  for (;;) {
    if (options.signal?.aborted) throw new AbortedError();
    const got = (await options.client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key.toString()])).rows[0]?.ok;
    const waitedMs = Math.round(performance.now() - start);
    if (got) return { acquired: true, key: key.toString(), waitedMs };
    if (!warned || waitedMs >= options.timeoutMs) {
      const holders = await lockHolders(options.client, key);
      if (waitedMs >= options.timeoutMs) return { acquired: false, key: key.toString(), waitedMs, holders };
      warned = true;
      options.onWait?.(holders);
    }
    try {
      await sleep(Math.min(options.pollMs ?? 250, Math.max(1, options.timeoutMs - waitedMs)), undefined, { signal: options.signal });
    } catch {
      throw new AbortedError();
    }
  }
}

/**
 * The key of odoo-deploy's own deploy lock for a database, taken on a maintenance connection (database
 * `postgres`) for a whole deploy or rollback: unlike click-odoo-update's, it needs no connection to the Odoo
 * database, which must have none while it is cloned or renamed.
 *
 * @example deployLockKey("odoo_prod") // 56-bit bigint
 */
export function deployLockKey(dbName: string): bigint {
  return BigInt(`0x${createHash("sha1").update(`odoo-deploy/deploy/${dbName}`, "utf8").digest("hex").slice(0, 14)}`);
}

/**
 * Releases the lock taken by {@link acquireUpdateLock} on the same connection.
 *
 * @example await releaseUpdateLock(client, "odoo_prod");
 */
export async function releaseUpdateLock(client: Queryable, dbName: string, key: bigint = clickOdooUpdateLockKey(dbName)): Promise<void> {
  await client.query("SELECT pg_advisory_unlock($1::bigint)", [key.toString()]);
}

/** Sessions holding the advisory lock `key` in the current database (a bigint key is classid/objid, objsubid 1). */
async function lockHolders(client: Queryable, key: bigint): Promise<LockHolder[]> {
  const hi = (key >> 32n).toString();
  const lo = (key & 0xffffffffn).toString();
  const r = await client.query<{ pid: number; application_name: string | null; client_addr: string | null; backend_start: string | null }>(
    `SELECT l.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start::text AS backend_start
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
        AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
      ORDER BY l.pid`,
    [hi, lo],
  );
  return r.rows.map((x) => ({ pid: x.pid, applicationName: x.application_name, clientAddr: x.client_addr, backendStart: x.backend_start }));
}

/**
 * The deploy lock: one deploy or rollback of a database at a time, across machines. A session-level advisory
 * lock on a maintenance connection (database `postgres`), held for the whole run and gone with the process if
 * it dies, so a lock left by a killed run never needs clearing by hand.
 */
import type pg from "pg";
import { connect, withDatabase } from "../db/connection.js";
import { OperationFailedError } from "../errors.js";
import { acquireUpdateLock, deployLockKey, releaseUpdateLock, type LockHolder } from "../migrate/lock.js";

/** A held deploy lock. */
export interface DeployLock {
  release(): Promise<void>;
}

/**
 * Takes the deploy lock of `database`, waiting up to `timeoutMs`; a judged failure naming the holder when
 * another deploy keeps it.
 *
 * @example const lock = await acquireDeployLock(dbUrl, "prod", 0); try { … } finally { await lock.release(); }
 */
export async function acquireDeployLock(dbUrl: string, database: string, timeoutMs: number, what: string, signal?: AbortSignal): Promise<DeployLock> {
  const client: pg.Client = await connect(withDatabase(dbUrl, "postgres"), { applicationName: `odoo-deploy ${what}`, ...(signal ? { signal } : {}) });
  try {
    const key = deployLockKey(database);
    const r = await acquireUpdateLock({ client, dbName: database, key, timeoutMs, ...(signal ? { signal } : {}) });
    if (!r.acquired) {
      throw new OperationFailedError(`another deploy or rollback of ${database} is running (${describeHolders(r.holders)}); wait for it, or look at \`odoo-deploy deploy list\``, {
        code: "DEPLOY_LOCKED",
        details: { holders: r.holders },
      });
    }
    return {
      async release() {
        await releaseUpdateLock(client, database, key).catch(() => {});
        await client.end().catch(() => {});
      },
    };
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
}

function describeHolders(holders: LockHolder[]): string {
  return holders.map((h) => `pid ${h.pid}${h.applicationName ? ` ${h.applicationName}` : ""}${h.clientAddr ? ` from ${h.clientAddr}` : ""}${h.backendStart ? ` since ${h.backendStart}` : ""}`).join(", ") || "held by another session";
}

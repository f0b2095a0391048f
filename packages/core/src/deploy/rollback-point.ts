/**
 * Rollback points: a clone of the stopped database on the same cluster (`CREATE DATABASE … TEMPLATE …
 * STRATEGY FILE_COPY`, seconds where a restore takes minutes) and a hard-link snapshot of its filestore, taken
 * at the same moment, so they are a consistent pair (the filestore is write-once). Putting one back is a rename
 * of databases in one transaction and two directory renames, each step recognisable from what exists, so a
 * crash at any point is finished by running it again.
 */
import type pg from "pg";
import { EnvironmentError, OperationFailedError } from "../errors.js";
import { quoteIdent, withClient, withDatabase } from "../db/connection.js";
import { swapDatabase } from "../db/swap.js";
import type { CommandRunner } from "../runner/types.js";
import { FilestoreOps } from "./filestore-ops.js";
import type { RollbackPointRecord } from "./journal.js";

const APP = "odoo-deploy deploy";
/** Marks databases made by deploys, so nothing else is ever mistaken for one. */
const MARK = "odoo-deploy rollback point";

/** The filestore of the deployed database and the host that holds it. */
export interface FilestoreLocation {
  runner: CommandRunner;
  /** `<data_dir>/filestore/<db>` as that host sees it. */
  dir: string;
}

/** Options of {@link cloneAvailability} and {@link createRollbackPoint}. */
export interface RollbackPointOptions {
  /** URL of the Odoo database (its server is where the clone is made). */
  dbUrl: string;
  database: string;
  /** Name of the clone (`<db>_predeploy_<id>`). */
  name: string;
  /** Where the snapshot goes (`<data_dir>/filestore/<db>_predeploy_<id>`). */
  filestore?: FilestoreLocation & { snapshot: string };
  /** Runs `df` on the database server's host, to check its free disk (the database runner); optional. */
  serverRunner?: CommandRunner;
  deployId: string;
  signal?: AbortSignal;
}

/**
 * Why no clone can be made, or undefined when one can: the role needs CREATEDB and must own the database (or
 * be superuser), and the server's disk must hold a second copy. Free disk is checked when the data directory
 * is readable and `serverRunner` can run `df` on it; otherwise the clone itself fails cleanly if it does not fit.
 *
 * @example const why = await cloneAvailability({ dbUrl, database: "prod", name: "prod_predeploy_1", deployId });
 */
export async function cloneAvailability(o: RollbackPointOptions): Promise<{ unavailable?: string; bytes: number; freeBytes?: number }> {
  return withClient(
    withDatabase(o.dbUrl, "postgres"),
    async (c) => {
      const r = await c.query<{ super: boolean; createdb: boolean; owner: boolean; bytes: string }>(
        `SELECT r.rolsuper AS super, r.rolcreatedb AS createdb, pg_has_role(current_user, d.datdba, 'MEMBER') AS owner, pg_database_size(d.oid)::text AS bytes
           FROM pg_roles r, pg_database d WHERE r.rolname = current_user AND d.datname = $1`,
        [o.database],
      );
      const row = r.rows[0];
      if (!row) throw new EnvironmentError(`database ${o.database} does not exist`, { code: "DB_NOT_FOUND" });
      const bytes = Number(row.bytes);
      if (!row.super && !row.createdb) return { unavailable: "the role has no CREATEDB privilege, so no clone can be made", bytes };
      if (!row.super && !row.owner) return { unavailable: `the role does not own ${o.database}, so it cannot be used as a template`, bytes };
      const freeBytes = await serverFreeBytes(c, o.serverRunner, o.signal);
      // A clone doubles the database's disk use; leave a margin for WAL and the migration's own growth.
      if (freeBytes !== undefined && freeBytes < bytes * 1.1) {
        return { unavailable: `the database server has ${freeBytes} bytes free, the clone needs about ${bytes}`, bytes, freeBytes };
      }
      return { bytes, ...(freeBytes !== undefined ? { freeBytes } : {}) };
    },
    { applicationName: APP, ...(o.signal ? { signal: o.signal } : {}) },
  );
}

/** Free bytes where the server keeps its data, when that can be known (data_directory readable, df runnable). */
async function serverFreeBytes(c: pg.Client, runner: CommandRunner | undefined, signal?: AbortSignal): Promise<number | undefined> {
  if (!runner) return undefined;
  const dir = (await c.query<{ setting: string }>("SELECT setting FROM pg_settings WHERE name = 'data_directory'")).rows[0]?.setting;
  if (!dir) return undefined;
  const r = await runner.exec(["df", "-Pk", "--", dir], signal ? { signal } : {}).catch(() => undefined);
  const fields = r?.exitCode === 0 ? r.stdout.trim().split("\n").at(-1)?.split(/\s+/) : undefined;
  const kb = fields ? Number(fields[3]) : NaN;
  return Number.isFinite(kb) ? kb * 1024 : undefined;
}

/**
 * Clones the stopped database and snapshots its filestore. The database must have no session (the service is
 * stopped, and the caller holds no connection to it). The clone is commented as ours, naming the deploy.
 *
 * @example const point = await createRollbackPoint({ dbUrl, database: "prod", name: "prod_predeploy_x", deployId });
 */
export async function createRollbackPoint(o: RollbackPointOptions): Promise<RollbackPointRecord> {
  const createdAt = new Date().toISOString();
  await withClient(
    withDatabase(o.dbUrl, "postgres"),
    async (c) => {
      const v = Number((await c.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
      // FILE_COPY (15+) copies the files and forces a checkpoint: 1.4 s where WAL_LOG took 6.9 s (ODOO-FACTS.md).
      const strategy = v >= 150000 ? " STRATEGY FILE_COPY" : "";
      try {
        await c.query(`CREATE DATABASE ${quoteIdent(o.name)} TEMPLATE ${quoteIdent(o.database)}${strategy}`);
      } catch (e) {
        const err = e as { code?: string; message?: string };
        // 55006: a session is still on the database (the service was not fully stopped).
        throw new OperationFailedError(`cloning ${o.database} failed: ${err.message ?? String(e)}`, { code: err.code === "55006" ? "DB_BUSY" : "CLONE_FAILED", cause: e });
      }
      await c.query(`COMMENT ON DATABASE ${quoteIdent(o.name)} IS ${literal(`${MARK} of ${o.database}, deploy ${o.deployId}`)}`);
    },
    { applicationName: APP, ...(o.signal ? { signal: o.signal } : {}) },
  );
  let snapshot: string | undefined;
  if (o.filestore) {
    const fs = new FilestoreOps(o.filestore.runner);
    if (await fs.exists(o.filestore.dir, o.signal)) {
      await fs.snapshot(o.filestore.dir, o.filestore.snapshot, o.signal);
      snapshot = o.filestore.snapshot;
    }
  }
  return { database: o.name, ...(snapshot ? { filestore: snapshot } : {}), createdAt };
}

/** Options of {@link restoreRollbackPoint}. */
export interface RestoreRollbackPointOptions {
  dbUrl: string;
  database: string;
  point: RollbackPointRecord;
  /** Name the replaced database gets (`<db>_failed_<id>`, or `<db>_before_<ts>` for a one-off rollback). */
  asideName: string;
  signal?: AbortSignal;
}

/**
 * Puts the clone back under the database's name, the replaced database renamed aside, in one transaction. Run
 * again after a crash, it sees that the clone is already in place and does nothing.
 *
 * @example await restoreRollbackPointDatabase({ dbUrl, database: "prod", point, asideName: "prod_failed_x" });
 */
export async function restoreRollbackPointDatabase(o: RestoreRollbackPointOptions): Promise<string> {
  const names = await existing(o.dbUrl, [o.database, o.point.database, o.asideName], o.signal);
  if (!names.has(o.point.database)) {
    if (names.has(o.asideName) && names.has(o.database)) {
      await allowConnections(o.dbUrl, [o.database, o.asideName]);
      return `already in place (${o.database} is the rollback point, ${o.asideName} the replaced database)`;
    }
    throw new OperationFailedError(`the rollback point ${o.point.database} is gone`, { code: "ROLLBACK_POINT_MISSING" });
  }
  const r = await swapDatabase({ dbUrl: o.dbUrl, database: o.database, replacement: o.point.database, asideName: o.asideName, ...(o.signal ? { signal: o.signal } : {}) });
  await withClient(withDatabase(o.dbUrl, "postgres"), (c) => c.query(`COMMENT ON DATABASE ${quoteIdent(o.database)} IS NULL`), { applicationName: APP });
  return r.asideName ? `${o.database} → ${r.asideName}, ${o.point.database} → ${o.database}` : `${o.point.database} → ${o.database}`;
}

/**
 * Puts the filestore snapshot back: the current filestore renamed to `aside`, the snapshot to the filestore's
 * name. Each state on the way is recognised by which of the three directories exist, so running it again
 * after a crash finishes it.
 *
 * @example await restoreRollbackPointFilestore(location, point.filestore!, "/var/lib/odoo/filestore/prod_failed_x");
 */
export async function restoreRollbackPointFilestore(location: FilestoreLocation, snapshot: string, aside: string, signal?: AbortSignal): Promise<string> {
  const fs = new FilestoreOps(location.runner);
  const [hasSnap, hasCurrent, hasAside] = [await fs.exists(snapshot, signal), await fs.exists(location.dir, signal), await fs.exists(aside, signal)];
  if (!hasSnap) {
    if (hasCurrent && hasAside) return "already in place";
    throw new OperationFailedError(`the filestore snapshot ${snapshot} is gone`, { code: "ROLLBACK_POINT_MISSING" });
  }
  if (hasCurrent) {
    if (hasAside) throw new OperationFailedError(`both ${location.dir} and ${aside} exist beside the snapshot: refusing to guess`, { code: "FILESTORE_STATE_UNKNOWN" });
    await fs.rename(location.dir, aside, signal);
  }
  await fs.rename(snapshot, location.dir, signal);
  return `${location.dir} → ${aside}, ${snapshot} → ${location.dir}`;
}

/**
 * Drops a rollback point or a failed database this deploy tool made (the name comes from its journal), and its
 * filestore directory. A database with sessions is kept (someone is looking at it) and reported.
 *
 * @example await dropDeployDatabase(dbUrl, "prod_predeploy_x", { runner, dir: "/var/lib/odoo/filestore/prod_predeploy_x" });
 */
export async function dropDeployDatabase(dbUrl: string, name: string, filestore?: { runner: CommandRunner; dir: string }, signal?: AbortSignal): Promise<void> {
  await withClient(
    withDatabase(dbUrl, "postgres"),
    async (c) => {
      try {
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)}`);
      } catch (e) {
        throw new OperationFailedError(`could not drop ${name}: ${(e as Error).message}`, { code: "DROP_FAILED", cause: e });
      }
    },
    { applicationName: APP, ...(signal ? { signal } : {}) },
  );
  if (filestore) {
    const fs = new FilestoreOps(filestore.runner);
    if (await fs.exists(filestore.dir, signal)) await fs.remove(filestore.dir, signal);
  }
}

/** Which of `names` exist as databases. */
export async function existing(dbUrl: string, names: string[], signal?: AbortSignal): Promise<Set<string>> {
  return withClient(
    withDatabase(dbUrl, "postgres"),
    async (c) => new Set((await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname = ANY($1)", [names])).rows.map((r) => r.datname)),
    { applicationName: APP, ...(signal ? { signal } : {}) },
  );
}

/** Lets every existing database of `names` accept connections again (a crash mid-swap can leave them refusing). */
export async function allowConnections(dbUrl: string, names: string[]): Promise<void> {
  await withClient(
    withDatabase(dbUrl, "postgres"),
    async (c) => {
      for (const n of (await c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname = ANY($1) AND NOT datallowconn", [names])).rows) {
        await c.query(`ALTER DATABASE ${quoteIdent(n.datname)} ALLOW_CONNECTIONS true`);
      }
    },
    { applicationName: APP },
  );
}

function literal(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

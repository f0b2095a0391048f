/**
 * Reading what a manifest records about the database, in the same snapshot pg_dump dumps: the exporting
 * transaction stays open until the dump has finished.
 */
import type pg from "pg";
import { connect, quoteIdent } from "../db/connection.js";
import type { BackupManifest } from "./types.js";

/** One table of the dumped database. */
export interface SnapshotTable {
  schema: string;
  name: string;
  estimate: number;
}

/** A read-only repeatable-read transaction whose snapshot pg_dump imports with `--snapshot`. */
export interface DumpSnapshot {
  snapshotId: string;
  serverVersion: string;
  serverVersionNum: number;
  database: string;
  tables: SnapshotTable[];
  /** Installed modules and their `latest_version` (empty when not an Odoo database). */
  modules: Record<string, string>;
  /** The snapshot's own connection, to read more in the same snapshot (it is read-only), or to parse a statement there. */
  db: pg.Client;
  /** Exact row counts of every table, in the snapshot. */
  countRows(signal?: AbortSignal): Promise<Record<string, number>>;
  /** Ends the transaction and the connection. */
  close(): Promise<void>;
}

/**
 * Opens the snapshot and reads the database's facts; `applicationName` names its session in pg_stat_activity.
 *
 * @example const snap = await openDumpSnapshot(url); try { ... } finally { await snap.close(); }
 */
export async function openDumpSnapshot(dbUrl: string, signal?: AbortSignal, applicationName = "odoo-deploy backup"): Promise<DumpSnapshot> {
  const client: pg.Client = await connect(dbUrl, { signal, applicationName });
  try {
    await client.query("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY");
    const snapshotId = (await client.query<{ s: string }>("SELECT pg_export_snapshot() AS s")).rows[0]!.s;
    const info = (
      await client.query<{ v: string; n: string; db: string }>(
        "SELECT current_setting('server_version') AS v, current_setting('server_version_num') AS n, current_database() AS db",
      )
    ).rows[0]!;
    const tables = (
      await client.query<{ schema: string; name: string; estimate: number }>(
        `SELECT n.nspname AS schema, c.relname AS name, greatest(c.reltuples, 0)::float8 AS estimate
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
            AND n.nspname NOT LIKE 'pg_toast%' AND n.nspname NOT LIKE 'pg_temp%'
          ORDER BY 1, 2`,
      )
    ).rows;
    const hasModules = tables.some((t) => t.schema === "public" && t.name === "ir_module_module");
    const modules: Record<string, string> = {};
    if (hasModules) {
      const r = await client.query<{ name: string; v: string | null }>(
        "SELECT name, latest_version AS v FROM ir_module_module WHERE state = 'installed' ORDER BY name",
      );
      for (const row of r.rows) modules[row.name] = row.v ?? "";
    }
    return {
      snapshotId,
      serverVersion: info.v,
      serverVersionNum: Number(info.n),
      database: info.db,
      tables,
      modules,
      db: client,
      async countRows(sig) {
        const counts: Record<string, number> = {};
        for (const t of tables) {
          if (sig?.aborted) break;
          const r = await client.query<{ n: string }>(`SELECT count(*) AS n FROM ONLY ${quoteIdent(t.schema)}.${quoteIdent(t.name)}`);
          counts[tableKey(t)] = Number(r.rows[0]!.n);
        }
        return counts;
      },
      async close() {
        await client.query("ROLLBACK").catch(() => {});
        await client.end().catch(() => {});
      },
    };
  } catch (e) {
    await client.end().catch(() => {});
    throw e;
  }
}

/** `schema.table` key of row counts. @example tableKey({ schema: "public", name: "res_partner" }) // "public.res_partner" */
export function tableKey(t: { schema: string; name: string }): string {
  return `${t.schema}.${t.name}`;
}

/**
 * Exact row counts of every table of a database (used after a restore).
 *
 * @example const counts = await countAllRows(url);
 */
export async function countAllRows(dbUrl: string, signal?: AbortSignal): Promise<Record<string, number>> {
  const snap = await openDumpSnapshot(dbUrl, signal);
  try {
    return await snap.countRows(signal);
  } finally {
    await snap.close();
  }
}

/**
 * The fields Odoo's database manager writes into `manifest.json` (`dump_db_manifest`), derived from the
 * database: Odoo's version comes from the `base` module (`16.0.1.3` → `16.0`); `pg_version` is computed the
 * way Odoo computes it (`"%d.%d" % divmod(server_version / 100, 100)`, so 15.18 gives "15.0").
 *
 * @example odooManifestFields("odoo_prod", 150018, { base: "16.0.1.3" }).major_version // "16.0"
 */
export function odooManifestFields(
  database: string,
  serverVersionNum: number,
  modules: Record<string, string>,
): Omit<BackupManifest, "odoo_deploy"> {
  const series = modules.base?.match(/^(\d+)\.(\d+)/);
  const major = series ? `${series[1]}.${series[2]}` : "";
  const hundreds = serverVersionNum / 100;
  return {
    odoo_dump: "1",
    db_name: database,
    version: major,
    version_info: series ? [Number(series[1]), Number(series[2]), 0, "final", 0, ""] : [],
    major_version: major,
    pg_version: `${Math.floor(hundreds / 100)}.${Math.floor(hundreds % 100)}`,
    modules,
  };
}

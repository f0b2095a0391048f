/**
 * Helpers of the backup tests (not exported from the package): per-table checksums, the real filestore
 * unpacked into a data_dir-shaped temp tree.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

interface Cluster {
  url(database?: string): string;
}

/** A temp directory. */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/**
 * `{ "schema.table": "count:md5" }` over every table, rows ordered by their text form, so two databases with
 * the same data compare equal whatever their physical order.
 */
export async function tableChecksums(cluster: Cluster, database: string): Promise<Record<string, string>> {
  const c = new pg.Client({ connectionString: cluster.url(database) });
  await c.connect();
  try {
    const tables = (await c.query<{ s: string; t: string }>(
      `SELECT n.nspname AS s, c.relname AS t FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%' ORDER BY 1, 2`,
    )).rows;
    const out: Record<string, string> = {};
    for (const { s, t } of tables) {
      const q = `"${s}"."${t.replace(/"/g, '""')}"`;
      const r = (await c.query<{ n: string; h: string | null }>(
        `SELECT count(*) AS n, md5(string_agg(x::text, E'\\n' ORDER BY x::text)) AS h FROM ${q} x`,
      )).rows;
      out[`${s}.${t}`] = `${r[0]!.n}:${r[0]!.h ?? ""}`;
    }
    return out;
  } finally {
    await c.end();
  }
}

/** The lab filestore unpacked as `<data_dir>/filestore/<db>`. */
export function labFilestore(shared: string, db: string): { dataDir: string; filestoreDir: string; cleanup: () => void } {
  const dataDir = tempDir("bk-data-");
  const fsRoot = path.join(dataDir, "filestore");
  execFileSync("mkdir", ["-p", fsRoot]);
  execFileSync("tar", ["-xzf", path.join(shared, "odoo16-lab/filestore-odoo_prod.tar.gz"), "-C", fsRoot]);
  renameSync(path.join(fsRoot, "odoo_prod"), path.join(fsRoot, db));
  return { dataDir, filestoreDir: path.join(fsRoot, db), cleanup: () => rmSync(dataDir, { recursive: true, force: true }) };
}

/**
 * Helpers of the backup tests (not exported from the package): per-table checksums, the real filestore
 * unpacked into a data_dir-shaped temp tree.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
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

/** A filestore file as Odoo names it: `<2 hex>/<sha1 of content>`. */
export function odooFile(content: string | Buffer): { rel: string; content: Buffer } {
  const data = Buffer.from(content);
  const sha = createHash("sha1").update(data).digest("hex");
  return { rel: `${sha.slice(0, 2)}/${sha}`, content: data };
}

/**
 * Makes `db` an Odoo-shaped database (the tables verify looks for, 200 partners) whose attachments reference
 * `contents`, written as Odoo names them into `filestoreDir` (when given).
 */
export async function odooShapedDb(
  cluster: Cluster & { query: (sql: string, params?: unknown[], db?: string) => Promise<unknown[]> },
  db: string,
  contents: string[],
  filestoreDir?: string,
): Promise<string[]> {
  const files = contents.map((c) => odooFile(c));
  if (filestoreDir) {
    for (const f of files) {
      mkdirSync(path.join(filestoreDir, path.dirname(f.rel)), { recursive: true });
      writeFileSync(path.join(filestoreDir, f.rel), f.content);
    }
  }
  await cluster.query(
    `CREATE TABLE ir_module_module (id serial primary key, name varchar, state varchar, latest_version varchar);
     INSERT INTO ir_module_module (name, state, latest_version) VALUES ('base', 'installed', '16.0.1.3');
     CREATE TABLE ir_config_parameter (id serial primary key, key varchar, value text);
     CREATE TABLE res_company (id serial primary key, name varchar);
     CREATE TABLE res_users (id serial primary key, login varchar);
     CREATE TABLE res_partner (id serial primary key, name varchar);
     INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 200) g;
     CREATE TABLE ir_attachment (id serial primary key, name varchar, store_fname varchar);
     ${files.map((f, i) => `INSERT INTO ir_attachment (name, store_fname) VALUES ('a${i}', '${f.rel}');`).join("\n")}`,
    [],
    db,
  );
  return files.map((f) => f.rel);
}

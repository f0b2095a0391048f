/**
 * A production-like setting for deploy tests: a git repository holding the fixture addons at revision v1, a
 * database initialised by the Odoo test double at v1 (revision recorded), a filestore beside it, and helpers to
 * commit the next revision and to take a fingerprint of the database and filestore (per-table row counts and
 * checksums, every file's content hash) to compare after a rollback.
 */
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLocalRunner, DEPLOYED_REVISION_KEY, setConfigParameter, withClient } from "@odoo-deploy/core";
import { ODOO_DOUBLE_FIXTURE_ADDONS, odooDoubleArgv, type LabDemoVariant, type PgCluster, type TempGitRepo } from "@odoo-deploy/testkit";
import type { TestDatabase } from "@odoo-deploy/testkit/vitest";

/** What {@link createDeployEnv} sets up. */
export interface DeployEnv {
  work: string;
  /** The repository's addons directory (`<repo>/addons`). */
  addons: string;
  v1: string;
  /** `<work>/data`, bind-mounted at the same path into containers. */
  dataDir: string;
  /** `<dataDir>/filestore/<db>` */
  filestoreDir: string;
  backupDir: string;
  /** libpq variables reaching the cluster over TCP (for the double in a host-network container). */
  pgEnv: Record<string, string>;
  /** Applies a lab_demo variant (or restores the good one) and commits; returns the revision. */
  commit(variant: LabDemoVariant | "good", message?: string): Promise<string>;
  fingerprint(): Promise<Fingerprint>;
  cleanup(): void;
}

/** Per-table `count:md5` of the database and `path → sha1` of the filestore. */
export interface Fingerprint {
  tables: Record<string, string>;
  files: Record<string, string>;
}

/**
 * @example const env = await createDeployEnv(pg, db, gitRepo);
 */
export async function createDeployEnv(pg: PgCluster, db: TestDatabase, gitRepo: TempGitRepo): Promise<DeployEnv> {
  const work = mkdtempSync(path.join(os.tmpdir(), "od-deploy-"));
  const addons = path.join(gitRepo.dir, "addons");
  cpSync(ODOO_DOUBLE_FIXTURE_ADDONS, addons, { recursive: true, filter: (src) => !src.includes("_variants") });
  const v1 = await gitRepo.commit("v1");
  const pgEnv = { PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "postgres" };
  const local = createLocalRunner({ env: pgEnv });
  const init = await local.exec([...(await odooDoubleArgv()), "--addons-path", addons, "-d", db.name, "-i", "lab_demo,lab_extra", "--stop-after-init"]);
  if (init.exitCode !== 0) throw new Error(`double init failed: ${init.stderr}`);
  await withClient(db.url, (c) => setConfigParameter(c, DEPLOYED_REVISION_KEY, v1));
  const dataDir = path.join(work, "data");
  const filestoreDir = path.join(dataDir, "filestore", db.name);
  for (const content of ["logo", "invoice 1", "invoice 2"]) {
    const sha = createHash("sha1").update(content).digest("hex");
    mkdirSync(path.join(filestoreDir, sha.slice(0, 2)), { recursive: true });
    writeFileSync(path.join(filestoreDir, sha.slice(0, 2), sha), content);
  }
  return {
    work,
    addons,
    v1,
    dataDir,
    filestoreDir,
    backupDir: path.join(work, "backups"),
    pgEnv,
    async commit(variant, message) {
      cpSync(path.join(ODOO_DOUBLE_FIXTURE_ADDONS, "lab_demo"), path.join(addons, "lab_demo"), { recursive: true, force: true });
      if (variant !== "good") cpSync(path.join(ODOO_DOUBLE_FIXTURE_ADDONS, "_variants", variant, "lab_demo"), path.join(addons, "lab_demo"), { recursive: true, force: true });
      return gitRepo.commit(message ?? `lab_demo: ${variant}`);
    },
    async fingerprint() {
      return { tables: await tableFingerprint(pg, db.name), files: listFiles(filestoreDir) };
    },
    cleanup() {
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** `table → row count:md5 of its rows` for every table of `database`'s public schema. */
export async function tableFingerprint(pg: PgCluster, database: string): Promise<Record<string, string>> {
  const tables: Record<string, string> = {};
  const names = await pg.query<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1", [], database);
  for (const { t } of names) {
    const r = await pg.query<{ n: number; h: string }>(`SELECT count(*)::int AS n, md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM "${t}" x`, [], database);
    tables[t] = `${r[0]!.n}:${r[0]!.h}`;
  }
  return tables;
}

/** `relative path → sha1 of the content` of every file under `dir` ({} when it does not exist). */
export function listFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    let entries;
    try {
      entries = readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else out[`${rel}${e.name}`] = createHash("sha1").update(readFileSync(p)).digest("hex");
    }
  };
  walk(dir, "");
  return out;
}

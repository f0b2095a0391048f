/**
 * A staging setting for refresh tests: production is the real Odoo 16 lab database with its real filestore; the
 * old staging is a copy of it on the same cluster (told apart by a marker parameter) with a filestore of its own;
 * the staging service is the Odoo test double serving the staging database, run by the service-manager double.
 * `fingerprint()` is the old staging table by table and file by file, to compare after a failed refresh.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createCommandsService, createLocalRunner, waitForHealthy, type FilestoreLocation, type ServiceControl } from "@odoo-deploy/core";
import { createOdooAddonsDir, createServiceDouble, freePort, odooDoubleArgv, sharedPath, writeOdooConfig, type PgCluster } from "@odoo-deploy/testkit";
import type { TestDatabase } from "@odoo-deploy/testkit/vitest";
import { listFiles, tableFingerprint } from "./deploy-env.js";

/** What {@link createStagingEnv} sets up. */
export interface StagingEnv {
  work: string;
  prod: TestDatabase;
  /** The staging database's name and URL. */
  staging: { name: string; url: string };
  prodFilestore: FilestoreLocation;
  stagingFilestore: FilestoreLocation;
  service: ServiceControl;
  /** The shell commands behind `service` (for a child process that builds its own). */
  commands: { stopCommand: string; startCommand: string; statusCommand: string };
  /** Base URL of the staging Odoo (the double). */
  url: string;
  odooBin: string[];
  odooConfig: string;
  odooEnv: Record<string, string>;
  fingerprint(): Promise<{ tables: Record<string, string>; files: Record<string, string> }>;
  /** Databases of the cluster whose name starts with the staging's. */
  stagingDatabases(): Promise<string[]>;
  /** Entries beside the staging filestore other than it. */
  filestoreSiblings(): string[];
  healthy(): Promise<boolean>;
  cleanup(): Promise<void>;
}

/** The value of the `staging.marker` parameter in the old staging. */
export const OLD_STAGING_MARKER = "the old staging";

/** @example const env = await createStagingEnv(pg, labDb); try { … } finally { await env.cleanup(); } */
export async function createStagingEnv(pg: PgCluster, prod: TestDatabase): Promise<StagingEnv> {
  const work = mkdtempSync(path.join(os.tmpdir(), "od-staging-"));
  chmodSync(work, 0o755);
  const data = path.join(work, "data", "filestore");
  mkdirSync(data, { recursive: true });
  const tar = sharedPath("odoo16-lab/filestore-odoo_prod.tar.gz");
  if (!tar) throw new Error("../shared/odoo16-lab/filestore-odoo_prod.tar.gz not found");
  execFileSync("tar", ["-xzf", tar, "-C", data]);
  const prodDir = path.join(data, prod.name);
  execFileSync("mv", [path.join(data, "odoo_prod"), prodDir]);

  const staging = { name: `${prod.name}_stg`, url: pg.url(`${prod.name}_stg`) };
  await pg.query(`CREATE DATABASE "${staging.name}" TEMPLATE "${prod.name}"`);
  await pg.query("INSERT INTO ir_config_parameter (key, value) VALUES ('staging.marker', $1)", [OLD_STAGING_MARKER], staging.name);
  const stagingDir = path.join(data, staging.name);
  mkdirSync(path.join(stagingDir, "ab"), { recursive: true });
  writeFileSync(path.join(stagingDir, "ab", "abababababababababababababababababababab"), "an old staging file");

  const addons = createOdooAddonsDir();
  const installed = await pg.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state = 'installed'", [], prod.name);
  addons.addStubModules(installed.map((r) => r.name));
  const odooConfig = writeOdooConfig(work, { dbHost: "127.0.0.1", dbPort: pg.port, dbUser: "postgres", addonsPath: [addons.path] });
  const odooEnv = { PGHOST: "127.0.0.1", PGPORT: String(pg.port), PGUSER: "postgres" };
  const odooBin = await odooDoubleArgv();

  const sd = createServiceDouble(path.join(work, "service"));
  const port = await freePort();
  const pgVars = Object.entries(odooEnv).map(([k, v]) => `${k}=${v}`).join(" ");
  sd.define("odoo", `env ${pgVars} ${odooBin.join(" ")} -c ${odooConfig} -d ${staging.name} --http-port ${port}`);
  const local = createLocalRunner({ env: odooEnv });
  const commands = { stopCommand: `${sd.serviceBin} stop odoo`, startCommand: `${sd.serviceBin} start odoo`, statusCommand: `${sd.serviceBin} status odoo` };
  await local.exec(["sh", "-c", commands.startCommand]);
  const url = `http://127.0.0.1:${port}`;
  const healthy = async () => (await waitForHealthy({ url, dbName: staging.name, timeoutMs: 20_000, initialDelayMs: 100, maxDelayMs: 500 })).ok;
  if (!(await healthy())) throw new Error("the staging double did not become healthy");

  const stagingDatabases = async () => (await pg.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1", [staging.name])).map((r) => r.d);
  return {
    work,
    prod,
    staging,
    prodFilestore: { runner: local, dir: prodDir },
    stagingFilestore: { runner: local, dir: stagingDir },
    service: createCommandsService({ runner: local, ...commands }),
    commands,
    url,
    odooBin,
    odooConfig,
    odooEnv,
    async fingerprint() {
      return { tables: await tableFingerprint(pg, staging.name), files: listFiles(stagingDir) };
    },
    stagingDatabases,
    filestoreSiblings() {
      return readdirSync(data).filter((n) => n !== staging.name && n !== prod.name);
    },
    healthy,
    async cleanup() {
      await local.exec(["sh", "-c", commands.stopCommand]).catch(() => {});
      for (const d of await stagingDatabases()) await pg.query(`DROP DATABASE IF EXISTS "${d}" WITH (FORCE)`);
      addons.cleanup();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

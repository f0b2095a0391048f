/**
 * kill -9 of a deploy at every step, then the next run: a deploy frozen at each moment in a child process is
 * killed with SIGKILL, and the next `rollback` (or `deploy`) finds the unfinished journal entry and finishes it.
 * After each: the database table by table and the filestore file by file as before the deploy, the previous
 * revision serving and healthy, nothing of the killed run left behind. The service is a real background
 * process managed by shell commands (the `commands` service kind).
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createCommandsService, createLocalRunner, deployOdoo, DeployJournal, inspectDatabase, rollbackDeploy, waitForHealthy, type DeployTargetOptions } from "@odoo-deploy/core";
import { createServiceDouble, freePort, odooDoubleArgv, type PgCluster } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { createDeployEnv, type DeployEnv } from "./support/deploy-env.js";

const CHILD = fileURLToPath(new URL("./support/deploy-child.ts", import.meta.url));

interface Setting {
  env: DeployEnv;
  target: DeployTargetOptions;
  childOptions: string;
  url: string;
  odooBin: string[];
  revision: () => string | undefined;
  stop: () => Promise<void>;
}

async function setting(pg: PgCluster, db: { name: string; url: string }, env: DeployEnv): Promise<Setting> {
  const sd = createServiceDouble(path.join(env.work, "service"));
  const port = await freePort();
  const double = await odooDoubleArgv();
  const pgVars = Object.entries(env.pgEnv).map(([k, v]) => `${k}=${v}`).join(" ");
  sd.define("odoo", `env ${pgVars} ${double.join(" ")} --addons-path ${env.addons} -d ${db.name} --http-port ${port}`);
  const local = createLocalRunner({ env: env.pgEnv });
  const service = { stopCommand: `${sd.serviceBin} stop odoo`, startCommand: `${sd.serviceBin} start odoo`, statusCommand: `${sd.serviceBin} status odoo` };
  await local.exec(["sh", "-c", `ODOO_DEPLOY_REVISION=${env.v1} ${service.startCommand}`]);
  const url = `http://127.0.0.1:${port}`;
  expect((await waitForHealthy({ url, dbName: db.name, timeoutMs: 20_000 })).ok).toBe(true);
  const childOptions = path.join(env.work, "child.json");
  writeFileSync(
    childOptions,
    JSON.stringify({ dbUrl: db.url, repo: path.dirname(env.addons), addonsPaths: ["addons"], backupDir: env.backupDir, filestoreDir: env.filestoreDir, healthUrl: url, odooBin: double, odooAddonsPath: env.addons, env: env.pgEnv, service }),
  );
  return {
    env,
    url,
    odooBin: double,
    childOptions,
    target: {
      dbUrl: db.url,
      backupDir: env.backupDir,
      service: createCommandsService({ runner: local, ...service }),
      filestore: { runner: local, dir: env.filestoreDir },
      healthUrl: url,
      healthTimeoutMs: 20_000,
    },
    revision: () => sd.startedRevision("odoo"),
    stop: async () => void (await local.exec(["sh", "-c", service.stopCommand])),
  };
}

/** Runs a deploy of `to` in a child, freezes it at `when`, kills it with SIGKILL; returns the deploy id. */
async function deployKilledAt(s: Setting, to: string, when: string): Promise<string> {
  const marker = path.join(s.env.work, `frozen-${Date.now()}`);
  const opts = JSON.parse(readFileSync(s.childOptions, "utf8")) as Record<string, unknown>;
  const file = `${s.childOptions}.${when.replace(/\W/g, "_")}.json`;
  writeFileSync(file, JSON.stringify({ ...opts, to }));
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", CHILD, file, when, marker], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
  const deadline = Date.now() + 120_000;
  while (!existsSync(marker)) {
    if (child.exitCode !== null) throw new Error(`the deploy ended before ${when}: ${out}`);
    if (Date.now() > deadline) throw new Error(`the deploy never reached ${when}: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  await exited;
  const entries = await new DeployJournal(s.env.backupDir).list();
  return entries.at(-1)!.id;
}

const KILL_POINTS = [
  "start:preflight",
  "start:backup",
  "backup:progress",
  "start:stop",
  "end:stop",
  "start:rollback-point",
  "end:rollback-point",
  "migrate:module",
  "end:migrate",
  "start:start",
  "end:start",
  "start:health",
  "start:record",
  "end:record",
];

test(
  "kill -9 at every step of a deploy, then `rollback`: everything as before the deploy, the previous revision serving",
  async ({ pg, db, gitRepo }) => {
    const env = await createDeployEnv(pg, db, gitRepo);
    const s = await setting(pg, db, env);
    try {
      const before = await env.fingerprint();
      const v2 = await env.commit("version-bump");
      for (const when of KILL_POINTS) {
        const id = await deployKilledAt(s, v2, when);
        // `odoo-deploy status` says a deploy was left unfinished.
        const status = await inspectDatabase({ dbUrl: db.url, backupDir: env.backupDir });
        expect(status.unfinishedDeploys?.map((u) => u.id), when).toEqual([id]);
        expect(status.checks.find((c) => c.name === "no-unfinished-deploy")?.status, when).toBe("failed");
        const r = await rollbackDeploy({ ...s.target });
        expect(r.failure, when).toBeUndefined();
        expect(r.ok, when).toBe(true);
        expect(r.recovered, when).toEqual([id]);
        const entry = await new DeployJournal(env.backupDir).load(id);
        expect(entry.status, when).toBe(when === "start:preflight" || when === "start:backup" || when === "backup:progress" ? "abandoned" : "rolled-back");
        expect(await env.fingerprint(), when).toEqual(before);
        expect((await waitForHealthy({ url: s.url, dbName: db.name, timeoutMs: 20_000 })).ok, when).toBe(true);
        if (entry.status === "rolled-back") expect(s.revision(), when).toBe(env.v1);
        // Nothing of the killed run is left but the migrated database kept for forensics (and the backup).
        const dbs = (await pg.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE $1", [`${db.name}\\_%`])).map((x) => x.d);
        expect(dbs.filter((d) => d.includes("_predeploy_")), when).toEqual([]);
        const siblings = readdirSync(path.dirname(env.filestoreDir)).filter((n) => n !== db.name && !n.includes("_failed_"));
        expect(siblings, when).toEqual([]);
        expect(readdirSync(env.backupDir).filter((n) => n.startsWith(".")), when).toEqual([]);
      }
    } finally {
      await s.stop();
      env.cleanup();
    }
  },
  600_000,
);

test(
  "kill -9 after the migration, then `deploy` again: the interrupted deploy is resumed or rolled back, the new one completes",
  async ({ pg, db, gitRepo }) => {
    const env = await createDeployEnv(pg, db, gitRepo);
    const s = await setting(pg, db, env);
    try {
      const v2 = await env.commit("version-bump");
      const local = createLocalRunner({ env: env.pgEnv });
      const deploy = () =>
        deployOdoo({ ...s.target, repo: path.dirname(env.addons), addonsPaths: ["addons"], to: v2, odooRunner: local, odooBin: s.odooBin, odooAddonsPath: env.addons, odooEnv: env.pgEnv });
      // Killed while starting the new code (the migration had succeeded): resumed.
      const resumed = await deployKilledAt(s, v2, "start:health");
      const r1 = await deploy();
      expect(r1.failure).toBeUndefined();
      expect(r1.ok).toBe(true);
      expect(r1.recovered).toEqual([resumed]);
      expect((await new DeployJournal(env.backupDir).load(resumed)).status).toBe("succeeded");
      expect(s.revision()).toBe(v2);
      // The next deploy of the same revision has nothing to migrate.
      expect(r1.plan?.update).toEqual([]);
      const versions = await pg.query<{ v: string }>("SELECT latest_version AS v FROM ir_module_module WHERE name = 'lab_demo'", [], db.name);
      expect(versions[0]!.v).toBe("16.0.1.3.0");
    } finally {
      await s.stop();
      env.cleanup();
    }
  },
  300_000,
);


/**
 * deployOdoo and rollbackDeploy end to end with the Odoo service as a Docker container: the test double served
 * from an image that holds the code (two images, two versions), the migration in a one-off container of the new
 * image, real PostgreSQL, a real filestore. After every rollback the database and filestore are those of before
 * the deploy, table by table and file by file, and the previous image serves, healthy.
 */
import { writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { createHash } from "node:crypto";
import { execa } from "execa";
import {
  createDockerService,
  createLocalRunner,
  deployOdoo,
  DEPLOYED_IMAGE_KEY,
  DEPLOYED_REVISION_KEY,
  DeployJournal,
  rollbackDeploy,
  waitForHealthy,
  type DeployEvent,
  type DeployOdooOptions,
} from "@odoo-deploy/core";
import { freePort, odooDoubleImage, odooImageServerArgv, ODOO_IMAGE_PATHS, type PgCluster } from "@odoo-deploy/testkit";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { createDeployEnv, type DeployEnv } from "./support/deploy-env.js";

interface Served {
  name: string;
  port: number;
  url: string;
  remove(): Promise<void>;
}

/** Runs the double from `image` as the service container (host network, the data dir mounted). */
async function serve(env: DeployEnv, image: string, db: string): Promise<Served> {
  const port = await freePort();
  const name = `od-deploy-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;
  await execa("docker", [
    "run", "-d", "--network", "host", "--name", name, "--label", "odoo-deploy.testkit=true", "--restart", "unless-stopped",
    ...Object.entries(env.pgEnv).flatMap(([k, v]) => ["-e", `${k}=${v}`]),
    "-v", `${env.dataDir}:${env.dataDir}`,
    image, ...odooImageServerArgv(db, port),
  ]);
  const url = `http://127.0.0.1:${port}`;
  const h = await waitForHealthy({ url, dbName: db, timeoutMs: 30_000 });
  if (!h.ok) throw new Error(`the service did not get healthy: ${h.reason}`);
  return {
    name,
    port,
    url,
    async remove() {
      const ids = (await execa("docker", ["ps", "-aq", "--filter", `name=^${name}`])).stdout.split("\n").filter(Boolean);
      if (ids.length) await execa("docker", ["rm", "-f", ...ids], { reject: false });
    },
  };
}

async function containerImage(name: string): Promise<{ image: string; running: boolean; restart: string; env: string[] }> {
  const out = (await execa("docker", ["inspect", "--format", "{{json .}}", name])).stdout;
  const i = JSON.parse(out) as { Config: { Image: string; Env: string[] }; State: { Running: boolean }; HostConfig: { RestartPolicy: { Name: string } } };
  return { image: i.Config.Image, running: i.State.Running, restart: i.HostConfig.RestartPolicy.Name, env: i.Config.Env };
}

function options(env: DeployEnv, served: Served, db: { name: string; url: string }, extra: Partial<DeployOdooOptions>): DeployOdooOptions {
  return {
    dbUrl: db.url,
    repo: path.dirname(env.addons),
    addonsPaths: ["addons"],
    service: createDockerService({ container: served.name, stopTimeoutSeconds: 5 }),
    odooBin: [process.execPath, ODOO_IMAGE_PATHS.script],
    odooAddonsPath: ODOO_IMAGE_PATHS.addons,
    backupDir: env.backupDir,
    filestore: { runner: createLocalRunner(), dir: env.filestoreDir },
    healthUrl: served.url,
    healthTimeoutMs: 20_000,
    ...extra,
  };
}

async function param(pg: PgCluster, db: string, key: string): Promise<string | undefined> {
  const r = await pg.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [key], db);
  return r[0]?.value;
}

describe("deployOdoo with a Docker container", () => {
  test("a good deploy: new image running and healthy, revision and image recorded, the previous container gone, a rollback point kept", async ({ pg, db, gitRepo, docker: _docker }) => {
    const env = await createDeployEnv(pg, db, gitRepo);
    const v1Image = await odooDoubleImage("odoo-deploy-test/odoo:v1", env.addons);
    const served = await serve(env, v1Image, db.name);
    try {
      const v2 = await env.commit("version-bump");
      const v2Image = await odooDoubleImage("odoo-deploy-test/odoo:v2", env.addons);
      const events: DeployEvent[] = [];
      const r = await deployOdoo(options(env, served, db, { to: v2, image: v2Image, onEvent: (e) => events.push(e) }));
      expect(r.failure).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.status).toBe("succeeded");
      expect(r.rolledBack).toBe(false);
      expect(r.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
        "lock:ok", "preflight:ok", "backup:ok", "stop:ok", "rollback-point:ok", "migrate:ok", "start:ok", "health:ok", "record:ok",
      ]);
      expect(r.plan?.update).toEqual(["lab_demo"]);
      expect(r.migrate?.runner).toBe(`docker-run:${v2Image}`);
      expect(r.downtimeMs).toBeGreaterThan(0);
      // The service container is the same name on the new image, with its settings kept.
      const now = await containerImage(served.name);
      expect(now).toMatchObject({ image: v2Image, running: true, restart: "unless-stopped" });
      expect(now.env).toEqual(expect.arrayContaining([`PGPORT=${pg.port}`]));
      expect((await waitForHealthy({ url: served.url, dbName: db.name, timeoutMs: 10_000 })).ok).toBe(true);
      const kept = (await execa("docker", ["ps", "-a", "--format", "{{.Names}}", "--filter", `name=^${served.name}`])).stdout.split("\n").filter(Boolean);
      expect(kept).toEqual([served.name]);
      expect(await param(pg, db.name, DEPLOYED_REVISION_KEY)).toBe(v2);
      expect(await param(pg, db.name, DEPLOYED_IMAGE_KEY)).toBe(v2Image);
      const versions = await pg.query<{ v: string }>("SELECT latest_version AS v FROM ir_module_module WHERE name = 'lab_demo'", [], db.name);
      expect(versions[0]!.v).toBe("16.0.1.3.0");
      // The journal: one entry, succeeded, with its rollback point (kept until a newer deploy).
      const [entry, ...others] = await new DeployJournal(env.backupDir).list();
      expect(others).toEqual([]);
      expect(entry).toMatchObject({ id: r.id, status: "succeeded", from: { imageId: expect.stringMatching(/^sha256:/) as string, revision: env.v1 }, to: { image: v2Image, revision: v2 } });
      const point = await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [entry!.rollbackPoint!.database]);
      expect(point).toHaveLength(1);
      expect(events.some((e) => e.type === "migrate:module")).toBe(true);
    } finally {
      await served.remove();
      env.cleanup();
    }
  });

  for (const [name, variant, env17] of [
    ["a crash in the new code (syntax error, exit 255)", "syntax-error", {}],
    ["a view referencing a missing field (exit 255)", "bad-view-field", {}],
    ["an image built from other code than the revision (exit 0, wrong version)", "stale-image", {}],
    ["a module the image holds as not installable (exit 0, left `to upgrade`)", "not-installable", {}],
    ["a server that never gets healthy (every route 500)", "unhealthy", { ODOO_DOUBLE_FAULT: "500" }],
  ] as const) {
    test(`rolled back: ${name}; database, filestore and previous image as before`, async ({ pg, db, gitRepo, docker: _docker }) => {
      const env = await createDeployEnv(pg, db, gitRepo);
      const v1Image = await odooDoubleImage("odoo-deploy-test/odoo:v1", env.addons);
      const served = await serve(env, v1Image, db.name);
      try {
        const before = await env.fingerprint();
        // The image holds the code of the case; the revision deployed (the work tree) is the version bump.
        if (variant === "syntax-error" || variant === "bad-view-field" || variant === "not-installable") await env.commit(variant, "the image's code");
        else await env.commit("version-bump");
        const v2Image = await odooDoubleImage(`odoo-deploy-test/odoo:${variant}`, env.addons, env17);
        const v2 = await env.commit("version-bump", "the revision deployed");
        // Something written to the filestore while the migration runs: gone after the rollback.
        const r = await deployOdoo(
          options(env, served, db, {
            to: v2,
            image: variant === "stale-image" ? v1Image : v2Image,
            onEvent: (e) => {
              if (e.type === "migrate:start") {
                mkdirSync(path.join(env.filestoreDir, "ff"), { recursive: true });
                writeFileSync(path.join(env.filestoreDir, "ff", createHash("sha1").update("new").digest("hex")), "new");
              }
            },
          }),
        );
        expect(r.ok).toBe(false);
        expect(r.rolledBack).toBe(true);
        expect(r.status).toBe("rolled-back");
        expect(r.failure?.step).toBe(variant === "unhealthy" ? "health" : "migrate");
        expect(r.rollback?.steps.map((s) => `${s.name}:${s.status}`)).toEqual([
          ...(variant === "unhealthy" ? ["stop-new:ok"] : []),
          "end-migration:ok", "restore-database:ok", "restore-filestore:ok", "start-previous:ok", "health:ok",
        ]);
        expect(await env.fingerprint()).toEqual(before);
        const now = await containerImage(served.name);
        expect(now).toMatchObject({ image: v1Image, running: true });
        expect((await waitForHealthy({ url: served.url, dbName: db.name, timeoutMs: 10_000 })).ok).toBe(true);
        // The migrated database is kept for forensics; no one-off container is left.
        const entry = await new DeployJournal(env.backupDir).load(r.id);
        expect(entry.failedDatabase).toMatch(/_failed_/);
        expect(await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [entry.failedDatabase])).toHaveLength(1);
        const oneOffs = (await execa("docker", ["ps", "-aq", "--filter", `label=odoo-deploy.deploy=${r.id}`])).stdout.trim();
        expect(oneOffs).toBe("");
      } finally {
        await served.remove();
        env.cleanup();
      }
    });
  }

  test("two concurrent deploys of one database: the second is refused at once, the first completes", async ({ pg, db, gitRepo, docker: _docker }) => {
    const env = await createDeployEnv(pg, db, gitRepo);
    const v1Image = await odooDoubleImage("odoo-deploy-test/odoo:v1", env.addons);
    const served = await serve(env, v1Image, db.name);
    try {
      const v2 = await env.commit("version-bump");
      const slow = await odooDoubleImage("odoo-deploy-test/odoo:v2-slow", env.addons, { ODOO_DOUBLE_MODULE_DELAY_MS: "1500" });
      let migrating!: () => void;
      const started = new Promise<void>((r) => (migrating = r));
      const first = deployOdoo(options(env, served, db, { to: v2, image: slow, onEvent: (e) => e.type === "migrate:start" && migrating() }));
      await started;
      const second = await deployOdoo(options(env, served, db, { to: v2, image: slow }));
      expect(second.ok).toBe(false);
      expect(second.failure?.code).toBe("DEPLOY_LOCKED");
      expect(second.steps.map((s) => `${s.name}:${s.status}`)).toEqual(["lock:failed"]);
      const r = await first;
      expect(r.ok).toBe(true);
      expect((await new DeployJournal(env.backupDir).list()).map((e) => e.id)).toEqual([r.id]);
    } finally {
      await served.remove();
      env.cleanup();
    }
  });

  test("a one-off rollback a day later: names the rows it would lose and refuses, then with --accept-data-loss puts everything back", async ({ pg, db, gitRepo, docker: _docker }) => {
    const env = await createDeployEnv(pg, db, gitRepo);
    const v1Image = await odooDoubleImage("odoo-deploy-test/odoo:v1", env.addons);
    const served = await serve(env, v1Image, db.name);
    try {
      const before = await env.fingerprint();
      const v2 = await env.commit("version-bump");
      const v2Image = await odooDoubleImage("odoo-deploy-test/odoo:v2", env.addons);
      const deployed = await deployOdoo(options(env, served, db, { to: v2, image: v2Image }));
      expect(deployed.ok).toBe(true);
      // Later, users write partners and a parameter.
      const journal = new DeployJournal(env.backupDir);
      await pg.query("INSERT INTO res_partner (name, create_date, write_date) SELECT 'p' || g, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC' FROM generate_series(1, 3) g", [], db.name);
      await pg.query("UPDATE ir_config_parameter SET write_date = now() AT TIME ZONE 'UTC' WHERE key = 'odoo_deploy.deployed_image'", [], db.name);

      const base = { dbUrl: db.url, backupDir: env.backupDir, service: createDockerService({ container: served.name, stopTimeoutSeconds: 5 }), filestore: { runner: createLocalRunner(), dir: env.filestoreDir }, healthUrl: served.url, healthTimeoutMs: 20_000 };
      const refused = await rollbackDeploy(base);
      expect(refused.ok).toBe(false);
      expect(refused.failure?.code).toBe("DATA_LOSS");
      expect(refused.failure?.message).toMatch(/res_partner 3, ir_config_parameter 1/);
      expect(refused.rowsSince).toEqual([{ table: "res_partner", rows: 3 }, { table: "ir_config_parameter", rows: 1 }]);
      expect((await containerImage(served.name)).image).toBe(v2Image);

      const r = await rollbackDeploy({ ...base, acceptDataLoss: true });
      expect(r.failure).toBeUndefined();
      expect(r.ok).toBe(true);
      expect(r.rolledBack).toBe(true);
      expect(r.id).toBe(deployed.id);
      expect(await env.fingerprint()).toEqual(before);
      expect((await containerImage(served.name)).image).toBe(v1Image);
      expect((await waitForHealthy({ url: served.url, dbName: db.name, timeoutMs: 10_000 })).ok).toBe(true);
      // What was written since is kept in the replaced database.
      const kept = await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM res_partner WHERE name LIKE 'p%'", [], r.asideDatabase!);
      expect(kept[0]!.n).toBe(3);
      expect((await journal.load(deployed.id)).undoneBy).toBe(r.rollbackId);
    } finally {
      await served.remove();
      env.cleanup();
    }
  });
});

/**
 * migrateModules end to end against the Odoo test double (ground truth for odoo-bin), through the local,
 * Docker (one-off container of an image) and SSH runners, on real PostgreSQL.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import {
  acquireUpdateLock,
  createDockerRunner,
  createLocalRunner,
  createSshRunner,
  migrateModules,
  type CommandRunner,
  type MigrateEvent,
  type MigrateModulesOptions,
} from "@odoo-deploy/core";
import { createOdooAddonsDir, odooDoubleArgv, writeOdooConfig, type OdooAddonsDir } from "@odoo-deploy/testkit";
import { describe, expect, test as base, type Fixtures, type TestDatabase } from "@odoo-deploy/testkit/vitest";
import type { PgCluster } from "@odoo-deploy/testkit";
import pg from "pg";

/** An Odoo database initialised by the double with lab_demo and lab_extra (which depends on lab_demo). */
interface Setup {
  addons: OdooAddonsDir;
  conf: string;
  odooBin: string[];
  base: Pick<MigrateModulesOptions, "dbName" | "dbUrl" | "odooBin" | "odooConfig" | "localAddonsPaths">;
  cleanup(): void;
}

async function setUp(pgc: PgCluster, db: TestDatabase): Promise<Setup> {
  const addons = createOdooAddonsDir();
  const confDir = mkdtempSync(path.join(os.tmpdir(), "od-migrate-conf-"));
  // The SSH test user and the container's user read these too.
  for (const d of [addons.path, confDir]) chmodSync(d, 0o755);
  // No connection settings in the Odoo config: each runner passes libpq's PG* variables (the Docker one
  // through an env file), as deployments keep them out of the config.
  const conf = writeOdooConfig(confDir, { addonsPath: [addons.path] });
  chmodSync(conf, 0o644);
  const odooBin = await odooDoubleArgv();
  const init = await execa(odooBin[0]!, [...odooBin.slice(1), "-c", conf, "-d", db.name, "-i", "lab_demo,lab_extra", "--stop-after-init"], {
    reject: false,
    env: pgEnv(pgc),
  });
  expect(init.exitCode, init.stderr).toBe(0);
  return {
    addons,
    conf,
    odooBin,
    base: { dbName: db.name, dbUrl: db.url, odooBin, odooConfig: conf, localAddonsPaths: [addons.path] },
    cleanup() {
      addons.cleanup();
      rmSync(confDir, { recursive: true, force: true });
    },
  };
}

/** libpq variables reaching the cluster over TCP: from a container on the host network and over SSH alike. */
const pgEnv = (pgc: PgCluster): Record<string, string> => ({ PGHOST: "127.0.0.1", PGPORT: String(pgc.port), PGUSER: pgc.superuser });

const param = async (pgc: PgCluster, db: string, key: string) =>
  (await pgc.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [key], db))[0]?.value;
const moduleRow = async (pgc: PgCluster, db: string, name: string) =>
  (await pgc.query<{ state: string; latest_version: string }>("SELECT state, latest_version FROM ir_module_module WHERE name = $1", [name], db))[0];

/** Sessions of the double (application_name `odoo-double`) on the database. */
const doubleSessions = async (pgc: PgCluster, db: string) =>
  Number((await pgc.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'odoo-double'", [db]))[0]?.n);

async function waitFor(cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The scenarios every runner must pass. */
function scenarios(name: string, test: RunnerTest) {
  describe(`migrateModules through the ${name} runner`, () => {
    test("a good update is ok, with module progress, and records the revision and click-odoo-update checksums", async ({ pg: pgc, db, runner }) => {
      const s = await setUp(pgc, db);
      try {
        s.addons.applyVariant("version-bump");
        const events: MigrateEvent[] = [];
        const r = await migrateModules({ ...s.base, runner, update: ["lab_demo"], revision: "3f2c1e0", onEvent: (e) => events.push(e) });
        expect(r.reasons).toEqual([]);
        expect(r.ok).toBe(true);
        expect(r.exitCode).toBe(0);
        expect(r.checks.map((c) => [c.name, c.status])).toEqual([
          ["lock", "ok"],
          ["other-sessions", "ok"],
          ["odoo-bin", "ok"],
          ["log", "ok"],
          ["no-pending-modules", "ok"],
          ["modules-installed", "ok"],
          ["module-versions", "ok"],
          ["records", "ok"],
        ]);
        // lab_extra depends on lab_demo: `-u lab_demo` updated it too, and its adapted version was checked.
        expect(r.modules).toEqual(
          expect.arrayContaining([
            { name: "lab_demo", state: "installed", latestVersion: "16.0.1.3.0", expectedVersion: "16.0.1.3.0", reason: "update" },
            { name: "lab_extra", state: "installed", latestVersion: "16.0.1.3", expectedVersion: "16.0.1.3", reason: "dependent" },
          ]),
        );
        expect(r.log?.modules.map((m) => m.name)).toEqual(["lab_demo", "lab_extra"]);
        expect(r.log?.modules[0]?.durationMs).toBeGreaterThanOrEqual(0);
        expect(events.filter((e) => e.type === "migrate:module").map((e) => (e as { module: string }).module)).toEqual(["lab_demo", "lab_extra"]);
        expect(await param(pgc, db.name, "odoo_deploy.deployed_revision")).toBe("3f2c1e0");
        const sums = JSON.parse((await param(pgc, db.name, "module_auto_update.installed_checksums")) ?? "{}") as Record<string, string>;
        expect(Object.keys(sums).sort()).toEqual(expect.arrayContaining(["contacts", "lab_demo", "lab_extra"]));
        expect(sums.lab_demo).toMatch(/^[0-9a-f]{40}$/);
        expect(r.recorded).toEqual({ revision: "3f2c1e0", checksums: Object.keys(sums).length });
      } finally {
        s.cleanup();
      }
    });

    test("without local addons paths, versions are checked from the addons_path of the Odoo config, read on the Odoo host", async ({ pg: pgc, db, runner }) => {
      const s = await setUp(pgc, db);
      try {
        s.addons.applyVariant("version-bump");
        const { localAddonsPaths: _local, ...viaConfig } = s.base;
        const r = await migrateModules({ ...viaConfig, runner, update: ["lab_demo"] });
        expect(r.ok, r.reasons.join("\n")).toBe(true);
        expect(r.checks.find((c) => c.name === "module-versions")).toMatchObject({ status: "ok", detail: expect.stringMatching(/^2 module\(s\) at their manifest version/) });
        expect(r.modules).toEqual(
          expect.arrayContaining([
            { name: "lab_demo", state: "installed", latestVersion: "16.0.1.3.0", expectedVersion: "16.0.1.3.0", reason: "update" },
            { name: "lab_extra", state: "installed", latestVersion: "16.0.1.3", expectedVersion: "16.0.1.3", reason: "dependent" },
          ]),
        );
        // A manifest of an updated module that Odoo cannot read is named by file and line.
        writeFileSync(path.join(s.addons.path, "lab_extra/__manifest__.py"), "{'name': 'x', 'version': 1.3.3}\n");
        const broken = await migrateModules({ ...viaConfig, runner, update: ["lab_extra"] });
        expect(broken.checks.find((c) => c.name === "module-versions")).toMatchObject({
          status: "failed",
          detail: expect.stringContaining("lab_extra: its manifest cannot be read ("),
        });
      } finally {
        s.cleanup();
      }
    });

    test("a misspelled module name (odoo-bin exits 0) is not ok, named by the log and the database", async ({ pg: pgc, db, runner }) => {
      const s = await setUp(pgc, db);
      try {
        const r = await migrateModules({ ...s.base, runner, update: ["lab_demoo"], revision: "bad" });
        expect(r.exitCode).toBe(0);
        expect(r.ok).toBe(false);
        expect(r.reasons).toEqual([
          "log: WARNING odoo.modules.loading: invalid module names, ignored: lab_demoo",
          "modules-installed: lab_demoo: no such module in the database",
        ]);
        expect(r.checks.find((c) => c.name === "records")?.status).toBe("skipped");
        expect(await param(pgc, db.name, "odoo_deploy.deployed_revision")).toBeUndefined();
      } finally {
        s.cleanup();
      }
    });

    test("a module made not installable (exit 0, left in `to upgrade`) is not ok", async ({ pg: pgc, db, runner }) => {
      const s = await setUp(pgc, db);
      try {
        s.addons.applyVariant("not-installable");
        const r = await migrateModules({ ...s.base, runner, update: ["lab_demo"] });
        expect(r.exitCode).toBe(0);
        expect(r.ok).toBe(false);
        expect(r.pending).toContainEqual({ name: "lab_demo", state: "to upgrade" });
        expect(r.reasons).toEqual(
          expect.arrayContaining([
            "log: WARNING odoo.modules.graph: module lab_demo: not installable, skipped",
            // lab_extra depends on lab_demo: marked `to upgrade` with it, and left there too.
            "log: ERROR odoo.modules.loading: Some modules have inconsistent states, some dependencies may be missing: ['lab_demo', 'lab_extra']",
            "no-pending-modules: left pending: lab_demo (to upgrade), lab_extra (to upgrade)",
            expect.stringMatching(/^modules-installed: lab_demo: to upgrade/),
          ]),
        );
        expect((await moduleRow(pgc, db.name, "lab_demo"))?.state).toBe("to upgrade");
      } finally {
        s.cleanup();
      }
    });

    test("a crash (syntax error, exit 255) is not ok with the CRITICAL line in the report", async ({ pg: pgc, db, runner }) => {
      const s = await setUp(pgc, db);
      try {
        s.addons.applyVariant("syntax-error");
        const r = await migrateModules({ ...s.base, runner, update: ["lab_demo"] });
        expect(r.ok).toBe(false);
        expect(r.exitCode).toBe(255);
        expect(r.checks.find((c) => c.name === "odoo-bin")).toMatchObject({
          status: "failed",
          detail: expect.stringMatching(/^exit code 255 after .*: Couldn't load module lab_demo$/),
        });
        expect(r.reasons).toEqual(
          expect.arrayContaining([
            "log: CRITICAL odoo.modules.module: Couldn't load module lab_demo",
            `log: CRITICAL odoo.service.server: Failed to initialize database \`${db.name}\`.`,
          ]),
        );
        expect(r.log?.findings.find((f) => f.kind === "python-error")?.exception?.type).toBe("SyntaxError");
        // The whole update was rolled back: the database still has the old version, nothing pending.
        expect(await moduleRow(pgc, db.name, "lab_demo")).toEqual({ state: "installed", latest_version: "16.0.1.2.0" });
        expect(r.checks.find((c) => c.name === "no-pending-modules")?.status).toBe("ok");
      } finally {
        s.cleanup();
      }
    });

    test("abort kills the update process and releases the lock", async ({ pg: pgc, db, runner }) => {
      const s = await setUp(pgc, db);
      try {
        s.addons.applyVariant("version-bump");
        const ac = new AbortController();
        const p = migrateModules({
          ...s.base,
          runner,
          update: ["lab_demo"],
          env: { ODOO_DOUBLE_MODULE_DELAY_MS: "30000" },
          signal: ac.signal,
          onEvent: (e) => {
            if (e.type === "migrate:module") ac.abort();
          },
        });
        await expect(p).rejects.toMatchObject({ code: "ABORTED" });
        // The double's connection goes away with its process.
        await waitFor(async () => (await doubleSessions(pgc, db.name)) === 0);
        expect(await moduleRow(pgc, db.name, "lab_demo")).toEqual({ state: "installed", latest_version: "16.0.1.2.0" });
        const c = new pg.Client({ connectionString: db.url });
        await c.connect();
        try {
          expect(await acquireUpdateLock({ client: c, dbName: db.name, timeoutMs: 0 })).toMatchObject({ acquired: true });
        } finally {
          await c.end();
        }
      } finally {
        s.cleanup();
      }
    });
  });
}

type RunnerTest = ReturnType<typeof runnerTest>;
/** The shared test with a `runner` fixture made by `make` (which may use the base fixtures: docker, sshd). */
function runnerTest(make: (ctx: Fixtures, use: (r: CommandRunner) => Promise<void>) => Promise<void>) {
  return base.extend<{ runner: CommandRunner }>({ runner: make as never });
}

scenarios(
  "local",
  runnerTest(async ({ pg: pgc }, use) => {
    const runner = createLocalRunner({ env: pgEnv(pgc) });
    await use(runner);
    await runner.close();
  }),
);

scenarios(
  "Docker (one-off container of an image holding only node)",
  runnerTest(async ({ docker, pg: pgc }, use) => {
    // cat: migrate reads the Odoo config and manifests on the Odoo host through the runner.
    const image = await docker.nodeImage({ binaries: ["/bin/cat"] });
    const envDir = mkdtempSync(path.join(os.tmpdir(), "od-migrate-env-"));
    const envFile = path.join(envDir, "odoo.env");
    writeFileSync(envFile, `${Object.entries(pgEnv(pgc)).map(([k, v]) => `${k}=${v}`).join("\n")}\n`);
    const label = `migrate-${Date.now().toString(36)}`;
    // The double's bundle, the addons and the Odoo config all live under the temp dir: mounted at the same path.
    const runner = createDockerRunner({
      image,
      network: "host",
      envFile,
      mounts: [{ source: os.tmpdir(), target: os.tmpdir(), readOnly: true }],
      labels: { "odoo-deploy.test": label },
    });
    await use(runner);
    await runner.close();
    rmSync(envDir, { recursive: true, force: true });
    // One-off containers are removed, also after an abort.
    const ps = await execa("docker", ["ps", "-a", "-q", "--filter", `label=odoo-deploy.test=${label}`]);
    expect(ps.stdout.trim()).toBe("");
  }),
);

scenarios(
  "SSH (loopback sshd, unprivileged user)",
  runnerTest(async ({ sshd, pg: pgc }, use) => {
    const runner = createSshRunner({
      env: pgEnv(pgc),
      host: sshd.host,
      port: sshd.port,
      user: sshd.user,
      privateKeyPath: sshd.privateKeyPath,
      knownHostsPath: sshd.knownHostsPath,
    });
    await use(runner);
    await runner.close();
  }),
);

describe("migrateModules: exclusion", () => {
  base("two concurrent migrates exclude each other: one waits with a message, one gives up after its timeout", async ({ pg: pgc, db }) => {
    const s = await setUp(pgc, db);
    const runner = createLocalRunner({ env: pgEnv(pgc) });
    try {
      s.addons.applyVariant("version-bump");
      let firstStarted!: () => void;
      const started = new Promise<void>((r) => (firstStarted = r));
      const first = migrateModules({
        ...s.base,
        runner,
        update: ["lab_demo"],
        env: { ODOO_DOUBLE_MODULE_DELAY_MS: "1500" },
        onEvent: (e) => e.type === "migrate:start" && firstStarted(),
      });
      await started;
      const waits: MigrateEvent[] = [];
      const second = migrateModules({ ...s.base, runner, update: ["lab_demo"], lockTimeoutMs: 60_000, onEvent: (e) => e.type === "migrate:lock-wait" && waits.push(e) });
      const third = await migrateModules({ ...s.base, runner, update: ["lab_demo"], lockTimeoutMs: 200 });
      expect(third.ok).toBe(false);
      expect(third.checks[0]).toMatchObject({ name: "lock", status: "failed", detail: expect.stringMatching(/^another update holds the lock on .* \(pid \d+ \(odoo-deploy migrate\)\); gave up after/) });
      expect(third.exitCode).toBeUndefined();
      const [r1, r2] = await Promise.all([first, second]);
      expect(r1.ok).toBe(true);
      expect(r2.ok).toBe(true);
      expect(waits).toHaveLength(1);
      expect(r2.checks[0]).toMatchObject({ name: "lock", status: "ok", detail: expect.stringMatching(/^waited /) });
    } finally {
      s.cleanup();
    }
  });

  base("leftovers of a failed update, applied silently by a later unrelated update, are named and verified", async ({ pg: pgc, db }) => {
    const s = await setUp(pgc, db);
    const runner = createLocalRunner({ env: pgEnv(pgc) });
    try {
      s.addons.applyVariant("not-installable");
      expect((await migrateModules({ ...s.base, runner, update: ["lab_demo"] })).ok).toBe(false);
      s.addons.applyVariant("version-bump");
      const events: MigrateEvent[] = [];
      const r = await migrateModules({
        ...s.base,
        runner,
        update: ["web"],
        // (trust authentication ignores it; it must not show anywhere)
        extraArgs: ["--db_password", "s3cret-pass"],
        onEvent: (e) => events.push(e),
      });
      expect(r.command).toMatch(/--db_password '\*\*\*'$/);
      expect(JSON.stringify([r, events])).not.toContain("s3cret-pass");
      expect(r.pendingBefore).toEqual([
        { name: "lab_demo", state: "to upgrade" },
        { name: "lab_extra", state: "to upgrade" },
      ]);
      expect(events).toContainEqual({ type: "migrate:pending-before", modules: r.pendingBefore });
      // Odoo applied the leftover upgrade while updating web (ODOO-FACTS.md); its new version is verified.
      expect(r.modules).toContainEqual({ name: "lab_demo", state: "installed", latestVersion: "16.0.1.3.0", expectedVersion: "16.0.1.3.0", reason: "leftover" });
      expect(r.log?.modules.map((m) => m.name)).toEqual(expect.arrayContaining(["web", "lab_demo"]));
      expect(r.ok).toBe(true);
    } finally {
      s.cleanup();
    }
  });

  base("odoo-bin past its timeout is killed; the report says so and the database is checked anyway", async ({ pg: pgc, db }) => {
    const s = await setUp(pgc, db);
    try {
      s.addons.applyVariant("version-bump");
      const r = await migrateModules({ ...s.base, runner: createLocalRunner({ env: pgEnv(pgc) }), update: ["lab_demo"], timeoutMs: 1500, env: { ODOO_DOUBLE_MODULE_DELAY_MS: "30000" } });
      expect(r.ok).toBe(false);
      expect(r.timedOut).toBe(true);
      expect(r.reasons[0]).toMatch(/^odoo-bin: killed after the 1\.5s timeout$/);
      // Killed inside its transaction: nothing applied, nothing pending; the version check names the old version.
      expect(r.checks.find((c) => c.name === "no-pending-modules")?.status).toBe("ok");
      expect(r.checks.find((c) => c.name === "module-versions")).toMatchObject({
        status: "failed",
        detail: expect.stringContaining("lab_demo: database has 16.0.1.2.0, manifest says 16.0.1.3.0"),
      });
      await waitFor(async () => (await doubleSessions(pgc, db.name)) === 0);
    } finally {
      s.cleanup();
    }
  });

  base("a running server (another session on the database) blocks migrate, unless allowed", async ({ pg: pgc, db }) => {
    const s = await setUp(pgc, db);
    const runner = createLocalRunner({ env: pgEnv(pgc) });
    // The double without --stop-after-init stays connected like a running Odoo server and its cron.
    const server = execa(s.odooBin[0]!, [...s.odooBin.slice(1), "-c", s.conf, "-d", db.name, "--no-http"], { reject: false, env: pgEnv(pgc) });
    try {
      await waitFor(async () => (await doubleSessions(pgc, db.name)) > 0);
      const r = await migrateModules({ ...s.base, runner, update: ["lab_demo"] });
      expect(r.ok).toBe(false);
      expect(r.checks.find((c) => c.name === "other-sessions")).toMatchObject({ status: "failed", detail: expect.stringContaining("(odoo-double") });
      expect(r.checks.find((c) => c.name === "odoo-bin")?.status).toBe("skipped");
      expect(r.otherSessions[0]?.applicationName).toBe("odoo-double");
      const allowed = await migrateModules({ ...s.base, runner, update: ["lab_demo"], allowRunning: true });
      expect(allowed.checks.find((c) => c.name === "other-sessions")).toMatchObject({ status: "ok", detail: expect.stringMatching(/^1 allowed/) });
      expect(allowed.ok).toBe(true);
    } finally {
      server.kill("SIGTERM");
      await server;
      s.cleanup();
    }
  });
});

import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createOdooAddonsDir, odooDoubleArgv, writeOdooConfig, type OdooAddonsDir, type PgCluster } from "@odoo-deploy/testkit";
import { afterAll, beforeAll, describe, expect, test, type TestDatabase } from "@odoo-deploy/testkit/vitest";
import { createDockerRunner } from "../runner/docker.js";
import { createSshRunner } from "../runner/ssh.js";
import { neutralizeDatabase } from "./neutralize-database.js";

// The Odoo double and neutralizeDatabase through the two remote transports: a one-off container of a
// node-only image (plus cat and find, which the addons check uses) and the loopback SSH runner.

let tmp: string;
let odooBin: string[];
beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "neutralize-transport-"));
  chmodSync(tmp, 0o755); // readable by the container's and the SSH user's unprivileged accounts
  odooBin = await odooDoubleArgv();
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Addons for the lab database and an Odoo config reaching PostgreSQL over TCP, all world-readable. */
async function setup(pg: PgCluster, db: TestDatabase): Promise<{ addons: OdooAddonsDir; conf: string; confDir: string }> {
  const addons = createOdooAddonsDir();
  const installed = await pg.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state = 'installed'", [], db.name);
  addons.addStubModules(installed.map((r) => r.name));
  chmodSync(addons.path, 0o755);
  const confDir = mkdtempSync(path.join(tmp, "conf-"));
  chmodSync(confDir, 0o755);
  const conf = writeOdooConfig(confDir, { dbHost: "127.0.0.1", dbPort: pg.port, dbUser: "postgres", addonsPath: [addons.path] });
  chmodSync(conf, 0o644);
  return { addons, conf, confDir };
}

describe("neutralizeDatabase with the Odoo double on other transports", () => {
  test("in a one-off container of a node-only image", async ({ pg, labDb, docker }) => {
    const { addons, conf, confDir } = await setup(pg, labDb);
    const scriptDir = path.dirname(odooBin[1]!);
    const runner = createDockerRunner({
      image: await docker.nodeImage({ binaries: ["/bin/cat", "/usr/bin/find"] }),
      network: "host",
      mounts: [scriptDir, addons.path, confDir].map((d) => ({ source: d, target: d, readOnly: true })),
    });
    try {
      const r = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, runner, odooBin, odooConfig: conf });
      expect(r.steps.map((s) => [s.name, s.status])).toEqual([
        ["addons-path", "ok"],
        ["odoo-bin neutralize", "ok"],
        ["clear credentials", "ok"],
      ]);
      expect(r.ok).toBe(true);
      expect(await pg.query("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'", [], labDb.name)).toEqual([{ value: "true" }]);
    } finally {
      await runner.close();
      addons.cleanup();
    }
  });

  test("over the loopback SSH runner", async ({ pg, labDb, sshd }) => {
    const { addons, conf } = await setup(pg, labDb);
    const runner = createSshRunner({ host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, knownHostsPath: sshd.knownHostsPath });
    try {
      const r = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, runner, odooBin, odooConfig: conf });
      expect(r.ok).toBe(true);
      expect(r.ran).toBe(true);
      expect(await pg.query("SELECT count(*)::int AS n FROM ir_mail_server WHERE active AND smtp_host <> 'invalid'", [], labDb.name)).toEqual([{ n: 0 }]);
      // missing modules are found on the remote side too
      const bare = createOdooAddonsDir();
      chmodSync(bare.path, 0o755);
      const refused = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, runner, odooBin, addonsPaths: [bare.path], force: true });
      expect(refused.ok).toBe(false);
      expect(refused.missingModules).toContain("crm");
      bare.cleanup();
    } finally {
      await runner.close();
      addons.cleanup();
    }
  });
});

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createOdooAddonsDir, freePort, odooDoubleArgv, startOdooDouble, writeOdooConfig } from "@odoo-deploy/testkit";
import { afterAll, beforeAll, describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { runCaptured } from "../test-helpers.js";

let tmp: string;
let odooBin: string;
beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "cli-health-neutralize-"));
  // --odoo-bin takes one path: a wrapper script running the double with node
  const [node, script] = await odooDoubleArgv();
  odooBin = path.join(tmp, "odoo-bin");
  writeFileSync(odooBin, `#!/bin/sh\nexec "${node}" "${script}" "$@"\n`);
  chmodSync(odooBin, 0o755);
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("odoo-deploy health", () => {
  test("exit 1 with the attempts in the JSON report when nothing listens; exit 2 without --url", async () => {
    const port = await freePort();
    const r = await runCaptured(["health", "--url", `http://127.0.0.1:${port}`, "--timeout", "600ms", "--json"]);
    expect(r.code).toBe(1);
    const report = r.json<{ ok: boolean; attempts: number; checks: { detail: string }[]; reason: string }>();
    expect(report.ok).toBe(false);
    expect(report.attempts).toBeGreaterThan(0);
    expect(report.checks[0]?.detail).toBe("connection refused");
    expect(report.reason).toContain("connection refused");
    expect((await runCaptured(["health", "--json"])).code).toBe(2);
  });

  test("exit 0 against a running server, --db-name checked, human output on stderr", async ({ pg, db }) => {
    const env = { PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: "postgres" };
    const addons = createOdooAddonsDir();
    const init = await startOdooDouble({ args: ["-d", db.name, "-i", "base", "--stop-after-init", "--addons-path", addons.path], env });
    await new Promise((r) => (init.process.exitCode !== null ? r(null) : init.process.once("exit", r)));
    await init.stop();
    const odoo = await startOdooDouble({ env });
    try {
      const r = await runCaptured(["health", "--url", odoo.url, "--db-name", db.name, "--timeout", "30s"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain("healthy after");
    } finally {
      await odoo.stop();
      addons.cleanup();
    }
  });
});

describe("odoo-deploy neutralize", () => {
  test("neutralizes the lab database with --odoo-bin/--odoo-config; again: nothing to do; missing modules: exit 1", async ({ pg, labDb }) => {
    const addons = createOdooAddonsDir();
    const installed = await pg.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state = 'installed'", [], labDb.name);
    addons.addStubModules(installed.map((r) => r.name));
    const conf = writeOdooConfig(mkdtempSync(path.join(tmp, "conf-")), { dbHost: pg.socketDir, dbPort: pg.port, dbUser: "postgres", addonsPath: [addons.path] });
    const argv = ["neutralize", "--db-name", labDb.name, "--db-url", labDb.url, "--odoo-bin", odooBin, "--odoo-config", conf, "--json"];

    const first = await runCaptured(argv);
    expect(first.code).toBe(0);
    expect(first.json()).toMatchObject({ ok: true, ran: true, credentialsCleared: 2 });
    const second = await runCaptured(argv);
    expect(second.code).toBe(0);
    expect(second.json()).toMatchObject({ ok: true, ran: false, alreadyNeutralized: true });

    const bare = createOdooAddonsDir();
    const bareConf = writeOdooConfig(mkdtempSync(path.join(tmp, "conf-")), { dbHost: pg.socketDir, dbPort: pg.port, dbUser: "postgres", addonsPath: [bare.path] });
    const refused = await runCaptured(["neutralize", "--db-name", labDb.name, "--db-url", labDb.url, "--odoo-bin", odooBin, "--odoo-config", bareConf, "--force"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("refused: modules missing from the addons path");
    addons.cleanup();
    bare.cleanup();
  });
});

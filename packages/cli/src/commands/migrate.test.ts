import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { createOdooAddonsDir, odooDoubleArgv, writeOdooConfig } from "@odoo-deploy/testkit";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { runCaptured } from "../test-helpers.js";

describe("odoo-deploy migrate", () => {
  test("exit 0 with the report on a good update, exit 1 naming the reasons on a silent failure", async ({ pg, db }) => {
    const addons = createOdooAddonsDir();
    const dir = mkdtempSync(path.join(os.tmpdir(), "od-cli-migrate-"));
    try {
      const conf = writeOdooConfig(dir, { dbHost: pg.socketDir, dbPort: pg.port, dbUser: pg.superuser, addonsPath: [addons.path] });
      const [node, script] = await odooDoubleArgv();
      // --odoo-bin takes one path, as odoo-bin is: a wrapper stands in for it.
      const odooBin = path.join(dir, "odoo-bin");
      writeFileSync(odooBin, `#!/bin/sh\nexec ${node} ${script} "$@"\n`);
      chmodSync(odooBin, 0o755);
      const init = await execa(odooBin, ["-c", conf, "-d", db.name, "-i", "lab_demo", "--stop-after-init"], { reject: false });
      expect(init.exitCode, init.stderr).toBe(0);
      addons.applyVariant("version-bump");
      const yaml = path.join(dir, "odoo-deploy.yaml");
      writeFileSync(
        yaml,
        [
          "version: 1",
          "environments:",
          "  prod:",
          `    database: { url: "${db.url}", name: ${db.name} }`,
          `    odoo: { runner: local, odooBin: ${odooBin}, configPath: ${conf} }`,
          `    repo: { root: ${addons.path}, addonsPaths: ["."] }`,
        ].join("\n"),
      );

      const good = await runCaptured(["migrate", "--file", yaml, "--update", "lab_demo", "--revision", "abc1234", "--json"], { cwd: dir });
      expect(good.code, good.stdout + good.stderr).toBe(0);
      const report = good.json<{ ok: boolean; recorded: { revision: string; checksums: number }; modules: { name: string; latestVersion: string }[] }>();
      expect(report.ok).toBe(true);
      expect(report.recorded.revision).toBe("abc1234");
      expect(report.recorded.checksums).toBeGreaterThan(0);
      expect(report.modules.find((m) => m.name === "lab_demo")?.latestVersion).toBe("16.0.1.3.0");

      // Flags only, no URL: libpq's PG* variables say where the server is (CONVENTIONS.md).
      const saved = { PGHOST: process.env.PGHOST, PGPORT: process.env.PGPORT, PGUSER: process.env.PGUSER };
      Object.assign(process.env, { PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: pg.superuser });
      const bad = await runCaptured(["migrate", "--db-name", db.name, "--odoo-bin", odooBin, "--odoo-config", conf, "--update", "lab_demoo"], {
        cwd: dir,
      }).finally(() => {
        for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toBe("");
      expect(bad.stderr).toContain("invalid module names, ignored: lab_demoo");
      expect(bad.stderr).toContain("lab_demoo: no such module in the database");
      expect(bad.stderr).toMatch(/FAILED 2 reason\(s\)/);
    } finally {
      addons.cleanup();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("usage errors exit 2 with a JSON error document", async () => {
    const noDb = await runCaptured(["migrate", "--update", "a", "--json"], { env: {} });
    expect(noDb.code).toBe(2);
    expect(noDb.json<{ error: { code: string } }>().error.code).toBe("MISSING_DB_NAME");
    const nothing = await runCaptured(["migrate", "--db-url", "postgres://u:secret@127.0.0.1:1/x", "--json"], { env: {} });
    expect(nothing.code).toBe(2);
    expect(nothing.json<{ error: { code: string } }>().error.code).toBe("NOTHING_TO_MIGRATE");
    const mismatch = await runCaptured(["migrate", "--db-url", "postgres://u:secret@127.0.0.1:1/x", "--db-name", "y", "--update", "a", "--json"], { env: {} });
    expect(mismatch.json<{ error: { code: string } }>().error.code).toBe("DB_NAME_MISMATCH");
    expect(mismatch.stdout).not.toContain("secret");
  });
});

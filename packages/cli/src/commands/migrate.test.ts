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

      const bad = await runCaptured(["migrate", "--file", yaml, "--update", "lab_demoo"], { cwd: dir });
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
    const noUrl = await runCaptured(["migrate", "--db-name", "x", "--update", "a", "--json"], { env: {} });
    expect(noUrl.code).toBe(2);
    expect(noUrl.json<{ error: { code: string } }>().error.code).toBe("MISSING_DB_URL");
    const nothing = await runCaptured(["migrate", "--db-url", "postgres://u:secret@127.0.0.1:1/x", "--json"], { env: {} });
    expect(nothing.code).toBe(2);
    expect(nothing.json<{ error: { code: string } }>().error.code).toBe("NOTHING_TO_MIGRATE");
    const mismatch = await runCaptured(["migrate", "--db-url", "postgres://u:secret@127.0.0.1:1/x", "--db-name", "y", "--update", "a", "--json"], { env: {} });
    expect(mismatch.json<{ error: { code: string } }>().error.code).toBe("DB_NAME_MISMATCH");
    expect(mismatch.stdout).not.toContain("secret");
  });
});

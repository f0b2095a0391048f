/**
 * The examples/deploy.ts release script end to end: a real git repository, a database initialised by the Odoo
 * test double, plan → verified backup → migrate → health, and a failing release stopped with the backup named.
 */
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createLocalRunner, DEPLOYED_REVISION_KEY, setConfigParameter, withClient } from "@odoo-deploy/core";
import { freePort, ODOO_DOUBLE_FIXTURE_ADDONS, odooDoubleArgv, startOdooDouble, writeOdooConfig } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { deploy } from "../examples/deploy.js";

test("a release: plan, backup, migrate and health, then a broken one stopped at migrate", async ({ pg, db, gitRepo }) => {
  const work = mkdtempSync(path.join(os.tmpdir(), "od-deploy-example-"));
  const runner = createLocalRunner({ env: { PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: "postgres" } });
  try {
    // Revision 1: the fixture modules, installed by the double and recorded as deployed.
    cpSync(ODOO_DOUBLE_FIXTURE_ADDONS, path.join(gitRepo.dir, "addons"), { recursive: true, filter: (src) => !src.includes("_variants") });
    const v1 = await gitRepo.commit("v1");
    const addons = path.join(gitRepo.dir, "addons");
    const conf = writeOdooConfig(work, { addonsPath: [addons] });
    const odooBin = await odooDoubleArgv();
    const init = await runner.exec([...odooBin, "-c", conf, "-d", db.name, "-i", "lab_demo,lab_extra", "--stop-after-init"]);
    expect(init.exitCode, init.stderr).toBe(0);
    await withClient(db.url, (c) => setConfigParameter(c, DEPLOYED_REVISION_KEY, v1));

    // Revision 2: lab_demo bumps its version; lab_extra depends on it (cascade).
    const variant = path.join(ODOO_DOUBLE_FIXTURE_ADDONS, "_variants", "version-bump", "lab_demo");
    cpSync(variant, path.join(addons, "lab_demo"), { recursive: true });
    const v2 = await gitRepo.commit("lab_demo: version bump");

    const lines: string[] = [];
    const common = {
      repo: gitRepo.dir,
      addonsPaths: ["addons"],
      dbUrl: db.url,
      dbName: db.name,
      backupDir: path.join(work, "backups"),
      odooRunner: runner,
      odooBin,
      odooConfig: conf,
      log: (l: string) => lines.push(l),
    };
    // The server is started with the new code only after the migration (switchService), as in production.
    let server: Awaited<ReturnType<typeof startOdooDouble>> | undefined;
    const port = await freePort();
    let outcome;
    try {
      outcome = await deploy({
        ...common,
        revision: v2,
        healthUrl: `http://127.0.0.1:${port}`,
        switchService: async () => {
          server = await startOdooDouble({ port, args: ["-c", conf, "-d", db.name], env: { PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: "postgres" } });
        },
      });
    } finally {
      await server?.stop();
    }
    expect(outcome.stoppedAt).toBeUndefined();
    expect(outcome.plan.update).toEqual(["lab_demo"]);
    expect(outcome.plan.cascade).toEqual(["lab_extra"]);
    expect(outcome.backup?.ok).toBe(true);
    expect(readdirSync(common.backupDir).filter((f) => !f.startsWith("."))).toHaveLength(1);
    expect(outcome.migrate?.ok).toBe(true);
    expect(outcome.health?.ok).toBe(true);
    expect(outcome.ok).toBe(true);
    const rev = await pg.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [DEPLOYED_REVISION_KEY], db.name);
    expect(rev[0]!.value).toBe(v2);

    // Revision 3: a view referencing a missing field. Odoo exits 255 and rolls back; the release stops at
    // migrate, names the backup to restore, and does not record the revision.
    cpSync(path.join(ODOO_DOUBLE_FIXTURE_ADDONS, "_variants", "bad-view-field", "lab_demo"), path.join(addons, "lab_demo"), { recursive: true });
    const v3 = await gitRepo.commit("lab_demo: broken view");
    const failed = await deploy({ ...common, revision: v3 });
    expect(failed.ok).toBe(false);
    expect(failed.stoppedAt).toBe("migrate");
    expect(failed.migrate?.exitCode).toBe(255);
    expect(lines.some((l) => l.startsWith(`to go back: odoo-deploy restore ${failed.backup!.path!}`))).toBe(true);
    const after = await pg.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [DEPLOYED_REVISION_KEY], db.name);
    expect(after[0]!.value).toBe(v2);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});


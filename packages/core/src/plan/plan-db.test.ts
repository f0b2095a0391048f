import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { OdooDeployError } from "../errors.js";
import { withClient } from "../db/connection.js";
import { DEPLOYED_REVISION_KEY, INSTALLED_CHECKSUMS_KEY } from "../db/odoo-params.js";
import { recordInstalledChecksums } from "../addons/checksum.js";
import { planDeploy } from "./plan-deploy.js";

const manifest = (depends: string[]) => `{'name': 'x', 'version': '16.0.1.0.0', 'depends': [${depends.map((d) => `'${d}'`).join(", ")}]}\n`;

describe("planDeploy with the real Odoo 16 database", () => {
  test("git mode: base from odoo_deploy.deployed_revision, installed modules and states from ir_module_module", async ({ gitRepo: repo, labDb, pg, shared }) => {
    cpSync(path.join(shared, "odoo16-lab/custom_addons/lab_demo"), path.join(repo.dir, "custom_addons/lab_demo"), { recursive: true });
    repo.write({ "custom_addons/lab_other/__manifest__.py": manifest(["base"]), "custom_addons/lab_gone/__manifest__.py": manifest(["base"]) });
    const base = await repo.commit("base");
    await pg.query("INSERT INTO ir_config_parameter (key, value) VALUES ($1, $2)", [DEPLOYED_REVISION_KEY, base], labDb.name);
    // lab_gone is installed in the database; its code then disappears.
    await pg.query("INSERT INTO ir_module_module (name, state, latest_version) VALUES ('lab_gone', 'installed', '16.0.1.0.0')", [], labDb.name);

    const labManifest = path.join(repo.dir, "custom_addons/lab_demo/__manifest__.py");
    writeFileSync(labManifest, readFileSync(labManifest, "utf8").replace("'depends': ['contacts']", "'depends': ['contacts', 'lab_req']"));
    repo.write({
      "custom_addons/lab_req/__manifest__.py": manifest(["contacts", "auth_oauth"]),
      "custom_addons/lab_new/__manifest__.py": manifest(["lab_demo"]),
      "custom_addons/lab_other/models.py": "# changed, but lab_other is not installed\n",
    });
    repo.remove("custom_addons/lab_gone");
    await repo.commit("lab_demo needs lab_req");

    const p = await planDeploy({ repo: repo.dir, addonsPaths: ["custom_addons"], dbUrl: labDb.url });
    expect(p.ok).toBe(true);
    expect(p.from).toBe(base);
    expect(p.installedFrom).toBe("database");
    // auth_oauth is an uninstalled Odoo module: `-i lab_req` installs it, so it is part of the plan.
    expect(p.install).toEqual(["auth_oauth", "lab_req"]);
    expect(p.update).toEqual(["lab_demo"]);
    expect(p.order).toEqual(["auth_oauth", "lab_req", "lab_demo"]);
    expect(p.uninstall).toEqual(["lab_gone"]);
    expect(p.modules.auth_oauth).toMatchObject({ action: "install", external: true, state: "uninstalled", reasons: ["dependency of lab_req"] });
    expect(p.modules.lab_demo).toMatchObject({ action: "update", state: "installed" });
    expect(p.modules.lab_other!.reasons).toEqual(["Python changed → update: models.py (added)", "not installed: not updated"]);
    expect(p.modules.lab_new!.action).toBe("unchanged");
    expect(p.warnings.join("\n")).not.toContain("taken as installed");

    // The database knows every Odoo module: an unknown dependency is missing.
    repo.write({ "custom_addons/lab_req/__manifest__.py": manifest(["contacts", "no_such_module"]) });
    await repo.commit("typo");
    const bad = await planDeploy({ repo: repo.dir, addonsPaths: ["custom_addons"], dbUrl: labDb.url });
    expect(bad.ok).toBe(false);
    expect(bad.checks.find((c) => c.name === "dependencies")).toMatchObject({
      status: "failed",
      detail: "lab_req depends on no_such_module, which is in no addons path and unknown to the database",
    });
  });

  test("git mode: a database without a recorded revision needs --from", async ({ gitRepo: repo, labDb }) => {
    repo.write({ "addons/a/__manifest__.py": manifest(["base"]) });
    await repo.commit("base");
    let err: unknown;
    try {
      await planDeploy({ repo: repo.dir, addonsPaths: ["addons"], dbUrl: labDb.url });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OdooDeployError);
    expect((err as OdooDeployError).code).toBe("NO_BASE_REVISION");
    expect((err as OdooDeployError).message).toContain(DEPLOYED_REVISION_KEY);
  });

  test("checksum mode matches click-odoo-update: stored hashes (computed with sha1sum) mean no update; an edit means update", async ({ labDb, pg, shared }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "checksum-plan-"));
    try {
      const addon = path.join(dir, "custom_addons/lab_demo");
      cpSync(path.join(shared, "odoo16-lab/custom_addons/lab_demo"), addon, { recursive: true });
      // Established independently: the documented walk order written out by hand, hashed by sha1sum.
      const files = ["__init__.py", "__manifest__.py", "data/lab_demo_data.xml", "models/__init__.py", "models/res_partner.py", "views/res_partner_views.xml"];
      const script = 'for f in "$@"; do printf "%s" "$f"; cat "$f"; done | sha1sum';
      const sha = (await execa("bash", ["-c", script, "hash", ...files], { cwd: addon })).stdout.split(" ")[0]!;
      await pg.query(
        "INSERT INTO ir_config_parameter (key, value) VALUES ($1, $2)",
        [INSTALLED_CHECKSUMS_KEY, JSON.stringify({ lab_demo: sha, contacts: "0000" })],
        labDb.name,
      );
      const same = await planDeploy({ repo: dir, addonsPaths: ["custom_addons"], mode: "checksum", dbUrl: labDb.url });
      expect(same).toMatchObject({ ok: true, mode: "checksum", from: null, to: null, update: [], install: [], order: [] });

      writeFileSync(path.join(addon, "views/res_partner_views.xml"), "<odoo/>\n");
      const changed = await planDeploy({ repo: dir, addonsPaths: ["custom_addons"], mode: "checksum", dbUrl: labDb.url });
      expect(changed.update).toEqual(["lab_demo"]);
      expect(changed.modules.lab_demo!.reasons[0]).toMatch(new RegExp(`^checksum [0-9a-f]{12} differs from the stored ${sha.slice(0, 12)}`));

      // After a successful update, migrate records the new checksums; the plan is empty again.
      const stored = await withClient(labDb.url, (db) => recordInstalledChecksums({ db, addonDirs: { lab_demo: addon } }));
      expect(Object.keys(stored)).toEqual(["lab_demo"]);
      const raw = await pg.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [INSTALLED_CHECKSUMS_KEY], labDb.name);
      expect(raw[0]!.value).toBe(`{"lab_demo": "${stored.lab_demo}"}`);
      const again = await planDeploy({ repo: dir, addonsPaths: ["custom_addons"], mode: "checksum", dbUrl: labDb.url });
      expect(again.update).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

for (const series of ["17.0", "18.0"] as const) {
  describe(`planDeploy with the real Odoo ${series} database`, () => {
    test("installed modules and states from ir_module_module; an uninstalled Odoo module needed is installed; a set of depends is read", async ({ gitRepo: repo, labDbOf, pg }) => {
      const db = await labDbOf(series);
      repo.write({ "custom_addons/lab_x/__manifest__.py": `{'name': 'x', 'version': '${series}.1.0.0', 'depends': {'contacts', 'crm'}}\n` });
      const base = await repo.commit("base");
      await pg.query("INSERT INTO ir_config_parameter (key, value) VALUES ($1, $2)", [DEPLOYED_REVISION_KEY, base], db.name);
      await pg.query("INSERT INTO ir_module_module (name, state, latest_version) VALUES ('lab_x', 'installed', $1)", [`${series}.1.0.0`], db.name);
      repo.write({ "custom_addons/lab_x/__manifest__.py": `{'name': 'x', 'version': '${series}.1.1.0', 'depends': {'contacts', 'crm', 'auth_oauth'}}\n` });
      await repo.commit("lab_x needs auth_oauth");
      const p = await planDeploy({ repo: repo.dir, addonsPaths: ["custom_addons"], dbUrl: db.url });
      expect(p.ok).toBe(true);
      expect(p.installedFrom).toBe("database");
      expect(p.install).toEqual(["auth_oauth"]);
      expect(p.update).toEqual(["lab_x"]);
      expect(p.modules.auth_oauth).toMatchObject({ action: "install", external: true, state: "uninstalled" });
      expect(p.modules.lab_x?.version).toEqual({ from: `${series}.1.0.0`, to: `${series}.1.1.0` });
    });
  });
}

import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { adaptVersion, seriesOf } from "./versions.js";
import { verifyModules } from "./verify.js";

describe("adaptVersion", () => {
  test("prefixes the series unless the version starts with it (Odoo's adapt_version)", () => {
    expect(adaptVersion("1.3", "16.0")).toBe("16.0.1.3");
    expect(adaptVersion("16.0.1.2.0", "16.0")).toBe("16.0.1.2.0");
    expect(adaptVersion("16.0", "16.0")).toBe("16.0.16.0");
    expect(adaptVersion("16.01", "16.0")).toBe("16.0.16.01");
    expect(adaptVersion(undefined, "17.0")).toBe("17.0.1.0");
    expect(seriesOf("16.0.1.3")).toBe("16.0");
    expect(seriesOf(null)).toBeUndefined();
  });
});

describe("verifyModules on the real Odoo 16 database", () => {
  const labAddons = (shared: string) => path.join(shared, "odoo16-lab/custom_addons");

  test("a consistent database passes, with dependents of an updated module checked too", async ({ labDb, shared }) => {
    const r = await verifyModules({ dbUrl: labDb.url, update: ["contacts"], addonsPaths: [labAddons(shared)] });
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([
      ["no-pending-modules", "ok"],
      ["modules-installed", "ok"],
      ["module-versions", "ok"],
    ]);
    expect(r.ok).toBe(true);
    expect(r.series).toBe("16.0");
    // lab_demo depends on contacts, so `-u contacts` updates it: its version is compared with its manifest.
    expect(r.modules.find((m) => m.name === "lab_demo")).toEqual({
      name: "lab_demo",
      state: "installed",
      latestVersion: "16.0.1.2.0",
      expectedVersion: "16.0.1.2.0",
      reason: "dependent",
    });
    expect(r.modules.find((m) => m.name === "crm")?.reason).toBe("dependent");
  });

  test("`-u all` checks every installed module", async ({ labDb, pg, shared }) => {
    const r = await verifyModules({ dbUrl: labDb.url, update: ["all"], addonsPaths: [labAddons(shared)] });
    const [installed] = await pg.query<{ n: string }>("SELECT count(*) AS n FROM ir_module_module WHERE state = 'installed'", [], labDb.name);
    expect(r.modules).toHaveLength(Number(installed!.n));
    expect(r.ok).toBe(true);
    // Only lab_demo's manifest is at hand: the others are named as unchecked.
    expect(r.checks.find((c) => c.name === "module-versions")?.detail).toMatch(/^1 module\(s\) at their manifest version; no manifest found for .*base/);
  });

  test("a module left in `to upgrade` is caught", async ({ labDb, pg, shared }) => {
    await pg.query("UPDATE ir_module_module SET state = 'to upgrade' WHERE name = 'lab_demo'", [], labDb.name);
    const r = await verifyModules({ dbUrl: labDb.url, update: ["lab_demo"], addonsPaths: [labAddons(shared)] });
    expect(r.ok).toBe(false);
    expect(r.pending).toEqual([{ name: "lab_demo", state: "to upgrade" }]);
    expect(r.checks.find((c) => c.name === "no-pending-modules")).toMatchObject({ status: "failed", detail: "left pending: lab_demo (to upgrade)" });
    expect(r.checks.find((c) => c.name === "modules-installed")).toMatchObject({ status: "failed", detail: "lab_demo: to upgrade" });
  });

  test("a misspelled module name is caught", async ({ labDb }) => {
    const r = await verifyModules({ dbUrl: labDb.url, update: ["lab_demoo"] });
    expect(r.ok).toBe(false);
    expect(r.checks.find((c) => c.name === "modules-installed")).toMatchObject({
      status: "failed",
      detail: "lab_demoo: no such module in the database",
    });
    // Without addons paths there is nothing to compare versions with, and the report says so.
    expect(r.checks.find((c) => c.name === "module-versions")?.status).toBe("skipped");
  });

  test("a version that does not match the adapted manifest version is caught", async ({ labDb }) => {
    const dir = mkdtempSync(path.join(tmpdir(), "od-verify-"));
    try {
      mkdirSync(path.join(dir, "lab_demo"));
      writeFileSync(path.join(dir, "lab_demo/__manifest__.py"), "{'name': 'Lab Demo', 'version': '1.3', 'depends': ['contacts']}\n");
      const r = await verifyModules({ dbUrl: labDb.url, update: ["lab_demo"], addonsPaths: [dir] });
      expect(r.ok).toBe(false);
      expect(r.checks.find((c) => c.name === "module-versions")).toMatchObject({
        status: "failed",
        detail: "lab_demo: database has 16.0.1.2.0, manifest says 16.0.1.3",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a requested module that did not get installed is named with its state", async ({ labDb, pg }) => {
    const [other] = await pg.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state = 'uninstalled' ORDER BY name LIMIT 1", [], labDb.name);
    const r = await verifyModules({ dbUrl: labDb.url, install: ["lab_demo", other!.name] });
    expect(r.checks.find((c) => c.name === "modules-installed")).toMatchObject({ status: "failed", detail: `${other!.name}: uninstalled` });
  });
});

for (const series of ["17.0", "18.0"] as const) {
  describe(`verifyModules on the real Odoo ${series} database`, () => {
    test("versions adapted to the series; dependents of an updated module checked; a stale version caught", async ({ labDbOf, pg }) => {
      const db = await labDbOf(series);
      const dir = mkdtempSync(path.join(tmpdir(), "od-verify-"));
      try {
        // contacts' manifest says 1.0, stored as `<series>.1.0`; mail's says its real version, and (as manifests
        // of 17 and 18 do) lists its dependencies as a set.
        const [mail] = await pg.query<{ v: string }>("SELECT latest_version AS v FROM ir_module_module WHERE name = 'mail'", [], db.name);
        mkdirSync(path.join(dir, "contacts"));
        writeFileSync(path.join(dir, "contacts/__manifest__.py"), "{'name': 'Contacts', 'version': '1.0', 'depends': ['base', 'mail']}\n");
        mkdirSync(path.join(dir, "mail"));
        writeFileSync(path.join(dir, "mail/__manifest__.py"), `{'name': 'Discuss', 'version': '${mail!.v.slice(5)}', 'depends': {'base', 'base_setup', 'bus', 'web_tour'}}\n`);
        const r = await verifyModules({ dbUrl: db.url, update: ["mail"], addonsPaths: [dir] });
        expect(r.series).toBe(series);
        expect(r.checks.map((c) => [c.name, c.status])).toEqual([
          ["no-pending-modules", "ok"],
          ["modules-installed", "ok"],
          ["module-versions", "ok"],
        ]);
        expect(r.modules.find((m) => m.name === "contacts")).toEqual({ name: "contacts", state: "installed", latestVersion: `${series}.1.0`, expectedVersion: `${series}.1.0`, reason: "dependent" });
        expect(r.modules.find((m) => m.name === "crm")?.reason).toBe("dependent");

        writeFileSync(path.join(dir, "contacts/__manifest__.py"), "{'name': 'Contacts', 'version': '1.1', 'depends': ['base', 'mail']}\n");
        const stale = await verifyModules({ dbUrl: db.url, update: ["contacts"], addonsPaths: [dir] });
        expect(stale.checks.find((c) => c.name === "module-versions")).toMatchObject({
          status: "failed",
          detail: `contacts: database has ${series}.1.0, manifest says ${series}.1.1`,
        });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

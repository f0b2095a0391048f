/**
 * Test helpers around the fixture addons: a writable copy of them with chosen variants of lab_demo applied
 * (one per case of ODOO-FACTS.md), and an Odoo config file pointing the double at a database.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ODOO_DOUBLE_FIXTURE_ADDONS } from "./build.js";

/**
 * The lab_demo variants under `fixtures/odoo-addons/_variants/`, one per case of ODOO-FACTS.md; `invalid-syntax`
 * is the syntax error of ../shared/odoo17-lab and odoo18-lab (`def broken(:`).
 */
export type LabDemoVariant = "version-bump" | "syntax-error" | "invalid-syntax" | "bad-view-field" | "bad-xmlid" | "missing-dependency" | "not-installable";

/** The series whose fixture modules {@link createOdooAddonsDir} writes (16.0 by default). */
export type FixtureSeries = "16.0" | "17.0" | "18.0";

/** A writable copy of the fixture addons. */
export interface OdooAddonsDir {
  /** The addons directory (modules directly inside). */
  path: string;
  /** Overlays a variant of lab_demo on the copy (files replaced), e.g. after a first good install. */
  applyVariant(variant: LabDemoVariant): void;
  /** Restores lab_demo to the good version. */
  resetLabDemo(): void;
  /**
   * Writes minimal modules (a manifest only) for names not present yet, e.g. the standard modules installed in
   * the lab database, so that Odoo (and the double) find every installed module on the addons path.
   */
  addStubModules(names: readonly string[]): void;
  cleanup(): void;
}

/**
 * Copies the fixture addons (without `_variants`) to a temp directory; for 17.0 and 18.0 the files of
 * `_series/<series>/` replace 16's (mail's tables and neutralize.sql, lab_demo's version as in the labs).
 *
 * @example
 * const addons = createOdooAddonsDir({ series: "17.0" });
 * addons.applyVariant("not-installable");
 */
export function createOdooAddonsDir(options: { variant?: LabDemoVariant; series?: FixtureSeries } = {}): OdooAddonsDir {
  const root = mkdtempSync(path.join(os.tmpdir(), "odoo-addons-"));
  const overlay = path.join(ODOO_DOUBLE_FIXTURE_ADDONS, "_series", options.series ?? "16.0");
  const copyModules = (only?: string) => {
    for (const e of readdirSync(ODOO_DOUBLE_FIXTURE_ADDONS)) {
      if (e.startsWith("_") || (only && e !== only)) continue;
      rmSync(path.join(root, e), { recursive: true, force: true });
      cpSync(path.join(ODOO_DOUBLE_FIXTURE_ADDONS, e), path.join(root, e), { recursive: true });
      if (existsSync(path.join(overlay, e))) cpSync(path.join(overlay, e), path.join(root, e), { recursive: true, force: true });
    }
  };
  copyModules();
  const dir: OdooAddonsDir = {
    path: root,
    applyVariant(variant) {
      cpSync(path.join(ODOO_DOUBLE_FIXTURE_ADDONS, "_variants", variant), root, { recursive: true, force: true });
    },
    resetLabDemo() {
      copyModules("lab_demo");
    },
    addStubModules(names) {
      for (const name of names) {
        const dir = path.join(root, name);
        if (name === "base" || existsSync(dir)) continue;
        mkdirSync(dir);
        writeFileSync(path.join(dir, "__manifest__.py"), `# stub written by createOdooAddonsDir().addStubModules\n{'name': '${name}', 'version': '1.0', 'depends': ['base'], 'license': 'LGPL-3'}\n`);
        writeFileSync(path.join(dir, "__init__.py"), "");
      }
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (options.variant) dir.applyVariant(options.variant);
  return dir;
}

/** Settings of an Odoo config file written by {@link writeOdooConfig}. */
export interface OdooConfigOptions {
  dbHost?: string;
  dbPort?: number;
  dbUser?: string;
  dbPassword?: string;
  addonsPath?: string[];
  dataDir?: string;
}

/**
 * Writes an Odoo config file (`[options]`) and returns its path.
 *
 * @example
 * const conf = writeOdooConfig(dir, { dbHost: pg.socketDir, dbPort: pg.port, dbUser: "postgres", addonsPath: [addons.path] });
 */
export function writeOdooConfig(dir: string, o: OdooConfigOptions): string {
  const lines = ["[options]"];
  if (o.dbHost) lines.push(`db_host = ${o.dbHost}`);
  if (o.dbPort) lines.push(`db_port = ${o.dbPort}`);
  if (o.dbUser) lines.push(`db_user = ${o.dbUser}`);
  lines.push(`db_password = ${o.dbPassword ?? "False"}`);
  if (o.addonsPath) lines.push(`addons_path = ${o.addonsPath.join(",")}`);
  if (o.dataDir) lines.push(`data_dir = ${o.dataDir}`);
  const file = path.join(dir, "odoo.conf");
  writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

import { throwIfAborted } from "../errors.js";
import { durationSince, type Check, type ReportBase } from "../report.js";
import { withClient, type Queryable } from "../db/connection.js";
import { redactUrl } from "../util/redact.js";
import { discoverAddons } from "../addons/discover.js";
import { adaptVersion, seriesOf } from "./versions.js";

/** States of a module whose operation Odoo has not finished. */
export const PENDING_MODULE_STATES = ["to upgrade", "to install", "to remove"] as const;

/** One module as the database holds it after an update, with the version its code says it should have. */
export interface VerifiedModule {
  name: string;
  /** `null` when the database has no such module (a misspelled name). */
  state: string | null;
  latestVersion: string | null;
  /** Adapted manifest version (`16.0.1.3`); absent when no manifest was found. */
  expectedVersion?: string;
  /**
   * Why it was checked: asked for with `-u`/`-i`; a dependent that `-u` updates too; or a leftover that was
   * pending before the run (Odoo applies leftover upgrades silently on any later update).
   */
  reason: "update" | "install" | "dependent" | "leftover";
}

/** What {@link checkModules} found. */
export interface ModuleChecks {
  checks: Check[];
  modules: VerifiedModule[];
  pending: { name: string; state: string }[];
  series?: string;
}

/** Input of {@link checkModules}. */
export interface CheckModulesInput {
  update: readonly string[];
  install: readonly string[];
  /** Manifest versions by module name (raw, as in the manifest); `undefined` value: manifest has none. */
  manifestVersions?: ReadonlyMap<string, string | undefined>;
  /** Modules that were pending before the update: their versions are checked too. */
  leftovers?: readonly string[];
  /** Modules whose manifest Odoo cannot read, with why (`file:line:column: reason`). */
  unreadableManifests?: ReadonlyMap<string, string>;
}

/**
 * Checks an Odoo database after `-u`/`-i` on an open connection: nothing pending, each requested module
 * `installed`, and each requested module and installed dependent of an updated one at its adapted manifest
 * version. Used by {@link verifyModules} and `migrateModules`.
 *
 * @example const { checks } = await checkModules(client, { update: ["lab_demo"], install: [] });
 */
export async function checkModules(db: Queryable, input: CheckModulesInput): Promise<ModuleChecks> {
  const checks: Check[] = [];
  const t0 = performance.now();
  const pending = (
    await db.query<{ name: string; state: string }>(
      "SELECT name, state FROM ir_module_module WHERE state = ANY($1) ORDER BY name",
      [PENDING_MODULE_STATES],
    )
  ).rows;
  checks.push({
    name: "no-pending-modules",
    status: pending.length === 0 ? "ok" : "failed",
    ...(pending.length === 0 ? {} : { detail: `left pending: ${pending.map((p) => `${p.name} (${p.state})`).join(", ")}` }),
    durationMs: durationSince(t0),
  });

  const t1 = performance.now();
  const baseVersion = (await db.query<{ v: string | null }>("SELECT latest_version AS v FROM ir_module_module WHERE name = 'base'")).rows[0]?.v;
  const series = seriesOf(baseVersion);
  const requested = new Map<string, VerifiedModule["reason"]>();
  for (const n of input.install) requested.set(n, "install");
  for (const n of input.update) if (n !== "all") requested.set(n, "update");
  for (const name of await updatedModules(db, input.update)) if (!requested.has(name)) requested.set(name, "dependent");
  for (const name of input.leftovers ?? []) if (!requested.has(name)) requested.set(name, "leftover");

  const rows = new Map(
    (
      await db.query<{ name: string; state: string; latest_version: string | null }>(
        "SELECT name, state, latest_version FROM ir_module_module WHERE name = ANY($1)",
        [[...requested.keys()]],
      )
    ).rows.map((r) => [r.name, r]),
  );
  const modules: VerifiedModule[] = [...requested].map(([name, reason]) => {
    const row = rows.get(name);
    const manifest = input.manifestVersions;
    const expected = manifest?.has(name) && series ? adaptVersion(manifest.get(name), series) : undefined;
    return {
      name,
      state: row?.state ?? null,
      latestVersion: row?.latest_version ?? null,
      ...(expected === undefined ? {} : { expectedVersion: expected }),
      reason,
    };
  });

  const asked = modules.filter((m) => m.reason !== "dependent");
  const unknown = asked.filter((m) => m.state === null);
  const notInstalled = asked.filter((m) => m.state !== null && m.state !== "installed");
  const stateProblems = [
    ...unknown.map((m) => `${m.name}: no such module in the database`),
    ...notInstalled.map((m) => `${m.name}: ${m.state}`),
  ];
  checks.push({
    name: "modules-installed",
    status: stateProblems.length === 0 ? "ok" : "failed",
    detail: stateProblems.length === 0 ? `${asked.length} requested module(s) installed` : stateProblems.join("; "),
    durationMs: durationSince(t1),
  });

  const withVersion = modules.filter((m) => m.expectedVersion !== undefined && m.state === "installed");
  const mismatched = withVersion.filter((m) => m.latestVersion !== m.expectedVersion);
  const unreadable = modules.filter((m) => input.unreadableManifests?.has(m.name)).map((m) => `${m.name}: its manifest cannot be read (${input.unreadableManifests!.get(m.name)})`);
  const noManifest = modules.filter((m) => m.expectedVersion === undefined && m.state === "installed").map((m) => m.name);
  const t2 = performance.now();
  if (unreadable.length > 0) {
    checks.push({ name: "module-versions", status: "failed", detail: unreadable.join("; "), durationMs: durationSince(t2) });
  } else if (!series) {
    checks.push({ name: "module-versions", status: "skipped", detail: "no base module version to derive the Odoo series from" });
  } else if (withVersion.length === 0) {
    checks.push({
      name: "module-versions",
      status: "skipped",
      detail: noManifest.length > 0 ? `no manifest found for ${noManifest.join(", ")}` : "no module to compare",
    });
  } else {
    checks.push({
      name: "module-versions",
      status: mismatched.length === 0 ? "ok" : "failed",
      detail:
        mismatched.length === 0
          ? `${withVersion.length} module(s) at their manifest version${noManifest.length > 0 ? `; no manifest found for ${noManifest.join(", ")}` : ""}`
          : mismatched.map((m) => `${m.name}: database has ${m.latestVersion ?? "no version"}, manifest says ${m.expectedVersion}`).join("; "),
      durationMs: durationSince(t2),
    });
  }
  return { checks, modules, pending, ...(series ? { series } : {}) };
}

/**
 * The modules `-u` updates: those named and every installed module depending on them, transitively
 * (ODOO-FACTS.md); every installed module for `all`.
 *
 * @example await updatedModules(client, ["contacts"]) // ["contacts", "crm", …]
 */
export async function updatedModules(db: Queryable, update: readonly string[]): Promise<string[]> {
  if (update.includes("all")) return (await db.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name")).rows.map((r) => r.name);
  const r = await db.query<{ name: string }>(
    `WITH RECURSIVE dep(name) AS (
       SELECT unnest($1::text[])
       UNION
       SELECT m.name FROM ir_module_module_dependency d
         JOIN ir_module_module m ON m.id = d.module_id
         JOIN dep ON d.name = dep.name
       WHERE m.state = 'installed'
     ) SELECT name FROM dep ORDER BY name`,
    [update],
  );
  return r.rows.map((x) => x.name);
}

/** Options of {@link verifyModules}. */
export interface VerifyModulesOptions {
  /** PostgreSQL URL of the Odoo database. */
  dbUrl: string;
  /** Modules that were updated (`-u`); `all` for every installed module. */
  update?: readonly string[];
  /** Modules that were installed (`-i`). */
  install?: readonly string[];
  /** Local addons paths to read manifest versions from (as odoo-deploy sees them). */
  addonsPaths?: readonly string[];
  signal?: AbortSignal;
}

/** Report of {@link verifyModules}. */
export interface VerifyModulesReport extends ReportBase, ModuleChecks {
  /** Redacted URL. */
  database: string;
}

/**
 * Verifies that an update left the database consistent, without trusting odoo-bin's exit code: no module in
 * `to upgrade` / `to install` / `to remove`, each updated or installed module `installed`, at the adapted
 * version of its manifest (and so are the installed modules that depend on an updated one).
 *
 * @example
 * const r = await verifyModules({ dbUrl, update: ["lab_demo"], addonsPaths: ["/srv/addons"] });
 * if (!r.ok) console.error(r.checks.filter((c) => c.status === "failed"));
 */
export async function verifyModules(options: VerifyModulesOptions): Promise<VerifyModulesReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  return withClient(
    options.dbUrl,
    async (client) => {
      const update = options.update ?? [];
      const install = options.install ?? [];
      const manifestVersions = await manifestVersionsFor(options.addonsPaths, options.signal);
      const r = await checkModules(client, { update, install, ...(manifestVersions ? { manifestVersions } : {}) });
      return {
        ok: r.checks.every((c) => c.status !== "failed"),
        durationMs: durationSince(start),
        database: redactUrl(options.dbUrl),
        ...r,
      };
    },
    { signal: options.signal, applicationName: "odoo-deploy verify" },
  );
}

/**
 * Manifest versions by module name, read from local addons paths (`discoverAddons`); `undefined` when no
 * paths are given.
 *
 * @example const versions = await manifestVersionsFor(["/srv/repo/addons"]); versions?.get("lab_demo") // "16.0.1.2.0"
 */
export async function manifestVersionsFor(
  addonsPaths: readonly string[] | undefined,
  signal?: AbortSignal,
): Promise<Map<string, string | undefined> | undefined> {
  if (!addonsPaths || addonsPaths.length === 0) return undefined;
  const addons = await discoverAddons({ addonsPaths, ...(signal ? { signal } : {}) });
  return new Map([...addons].map(([name, a]) => [name, a.manifest.version]));
}

/**
 * A deploy's preflight: everything that can be known before anything changes — the database is an Odoo one
 * and no update runs on it, the service answers, the new image is present (pulled now if missing), the plan
 * from the deployed revision, the code on disk, and room for the backup and the rollback point.
 */
import { statfs } from "node:fs/promises";
import path from "node:path";
import { withClient, withDatabase } from "../db/connection.js";
import { DEPLOYED_IMAGE_KEY, DEPLOYED_REVISION_KEY, getConfigParameter } from "../db/odoo-params.js";
import { EnvironmentError, OperationFailedError } from "../errors.js";
import { clickOdooUpdateLockKey } from "../migrate/lock.js";
import { planDeploy, type DeployPlan } from "../plan/plan-deploy.js";
import { createLocalRunner } from "../runner/local.js";
import type { DeployedCode } from "./journal.js";
import { cloneAvailability } from "./rollback-point.js";
import type { DeployOdooOptions } from "./types.js";

/** What the preflight found. */
export interface Preflight {
  plan: DeployPlan;
  from: DeployedCode;
  to: DeployedCode;
  /** Something to update or install. */
  migrating: boolean;
  /** Why no rollback point can be made (the rollback then restores the backup). */
  cloneUnavailable?: string;
  /** The repository's addons paths when its work tree is the revision deployed (migrate verifies versions and records checksums from them). */
  localAddonsPaths?: string[];
  /** The database's size, bytes. */
  databaseBytes: number;
  warnings: string[];
}

/**
 * @example const pre = await runPreflight(options, "prod", "prod_predeploy_x", "20261202T140200Z-1a2b3c");
 */
export async function runPreflight(o: DeployOdooOptions, database: string, cloneName: string, deployId: string, dryRun = false): Promise<Preflight> {
  const warnings: string[] = [];
  const dbUrl = withDatabase(o.dbUrl, database);
  const state = await withClient(
    dbUrl,
    async (c) => {
      const isOdoo = (await c.query("SELECT 1 FROM pg_class WHERE relname = 'ir_module_module' AND relkind = 'r'")).rowCount;
      if (!isOdoo) throw new EnvironmentError(`${database} is not an Odoo database (no ir_module_module)`, { code: "NOT_ODOO_DATABASE" });
      // click-odoo-update's lock free: no update of another tool runs now.
      const key = clickOdooUpdateLockKey(database).toString();
      const free = (await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key])).rows[0]!.ok;
      if (free) await c.query("SELECT pg_advisory_unlock($1::bigint)", [key]);
      else throw new OperationFailedError(`an update of ${database} is running (click-odoo-update's lock is held)`, { code: "UPDATE_RUNNING" });
      const mods = await c.query<{ name: string; v: string | null }>("SELECT name, latest_version AS v FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name");
      return {
        modules: Object.fromEntries(mods.rows.map((m) => [m.name, m.v ?? ""])),
        revision: await getConfigParameter(c, DEPLOYED_REVISION_KEY),
        image: await getConfigParameter(c, DEPLOYED_IMAGE_KEY),
      };
    },
    { applicationName: "odoo-deploy deploy", ...(o.signal ? { signal: o.signal } : {}) },
  );

  const status = await o.service.status(o.signal);
  if (status.running === false) warnings.push(`${o.service.description} is not running before the deploy (${status.detail})`);
  const from: DeployedCode = {
    ...(status.image ?? state.image ? { image: status.image ?? state.image! } : {}),
    ...(status.imageId ? { imageId: status.imageId } : {}),
    ...(state.revision ? { revision: state.revision } : {}),
    modules: state.modules,
  };

  // The new image must be there before anything stops (the article's `docker pull` first).
  const imageId = o.image && !dryRun ? await o.service.prepare?.({ image: o.image }, o.signal) : undefined;

  const plan = await planDeploy({
    repo: o.repo,
    addonsPaths: o.addonsPaths,
    dbUrl,
    ...(o.odooAddonsPaths ? { odooAddonsPaths: o.odooAddonsPaths } : {}),
    ...(o.classification ? { classification: o.classification } : {}),
    ...(o.install ? { install: o.install } : {}),
    ...(o.from ? { from: o.from } : {}),
    ...(o.to ? { to: o.to } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
  if (!plan.ok) {
    const failed = plan.checks.filter((c) => c.status === "failed").map((c) => `${c.name}: ${c.detail ?? "failed"}`);
    throw new OperationFailedError(`the plan is not ok: ${failed.join("; ")}`, { code: "PLAN_NOT_OK", details: { checks: plan.checks } });
  }
  warnings.push(...plan.warnings);
  const to: DeployedCode = { ...(o.image ? { image: o.image } : {}), ...(imageId ? { imageId } : {}), ...(plan.to ? { revision: plan.to } : {}) };
  const migrating = plan.install.length + plan.update.length > 0;

  // migrate reads manifest versions and checksums from the work tree: only right when it is the revision deployed.
  const head = (await createLocalRunner().exec(["git", "-C", path.resolve(o.repo), "rev-parse", "HEAD"])).stdout.trim();
  const localAddonsPaths = head === plan.to ? o.addonsPaths.map((p) => path.resolve(o.repo, p)) : undefined;
  if (!localAddonsPaths && migrating) warnings.push(`the work tree of ${o.repo} is not at ${plan.to}: module versions are not verified against the manifests, no checksums are recorded`);

  const clone = await cloneAvailability({ dbUrl, database, name: cloneName, deployId, ...(o.databaseRunner ? { serverRunner: o.databaseRunner } : {}) });
  if (migrating && clone.unavailable) warnings.push(`no rollback point: ${clone.unavailable}; a rollback will restore the pre-deploy backup instead`);

  const backupWanted = migrating || o.backup === "always";
  if (backupWanted) {
    const free = await freeBytes(o.backupDir);
    // A custom-format dump is compressed; the database size on disk is an upper bound with room to spare.
    if (free !== undefined && free < clone.bytes * 0.5) {
      throw new OperationFailedError(`${o.backupDir} has ${free} bytes free, too little for a backup of ${database} (${clone.bytes} bytes on disk)`, { code: "BACKUP_DISK_FULL" });
    }
  }
  return { plan, from, to, migrating, ...(clone.unavailable ? { cloneUnavailable: clone.unavailable } : {}), ...(localAddonsPaths ? { localAddonsPaths } : {}), databaseBytes: clone.bytes, warnings };
}

/** Free bytes on the file system of `dir` (or its nearest existing parent). */
async function freeBytes(dir: string): Promise<number | undefined> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    const s = await statfs(d).catch(() => undefined);
    if (s) return s.bavail * s.bsize;
    if (d === path.dirname(d)) return undefined;
  }
}

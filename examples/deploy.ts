/**
 * A release, composed from the primitives as you would in your own deploy script:
 *   plan (what changed since the deployed revision) → verified backup → migrate (odoo-bin -u/-i, checked) →
 *   wait for the server to be healthy.
 * Each step returns a typed report; the first one that is not ok stops the release and says why, and a
 * failed migration names the backup to restore.
 */
import {
  backupDatabase,
  migrateModules,
  planDeploy,
  waitForHealthy,
  type BackupReport,
  type CommandRunner,
  type DeployPlan,
  type HealthReport,
  type MigrateReport,
} from "@odoo-deploy/core";

/** What {@link deploy} needs. */
export interface DeployOptions {
  /** Git checkout of the code being deployed, and the addons paths inside it. */
  repo: string;
  addonsPaths: string[];
  /** Revision being deployed (recorded in the database on success). */
  revision: string;
  dbUrl: string;
  dbName: string;
  backupDir: string;
  filestoreDir?: string;
  /** Where odoo-bin runs: createLocalRunner(), createDockerRunner({ image }), createSshRunner({...}). */
  odooRunner: CommandRunner;
  odooBin: string | string[];
  odooConfig?: string;
  /** Addons path as the Odoo host sees it. */
  odooAddonsPath?: string;
  /**
   * Puts the new code in service after the migration, e.g. `restartContainer({ container: "odoo" })` or a
   * systemd restart over SSH. Odoo must not serve the database while it is migrated (migrate refuses when
   * other sessions are connected).
   */
  switchService?: () => Promise<void>;
  /** Base URL of the (restarted) Odoo server; health is skipped when absent. */
  healthUrl?: string;
  signal?: AbortSignal;
  log?: (line: string) => void;
}

/** The release's reports, step by step. */
export interface DeployOutcome {
  ok: boolean;
  stoppedAt?: "plan" | "backup" | "migrate" | "health";
  plan: DeployPlan;
  backup?: BackupReport;
  migrate?: MigrateReport;
  health?: HealthReport;
}

export async function deploy(o: DeployOptions): Promise<DeployOutcome> {
  const log = o.log ?? ((l: string) => console.error(l));
  const signal = o.signal ? { signal: o.signal } : {};

  const plan = await planDeploy({ repo: o.repo, addonsPaths: o.addonsPaths, to: o.revision, dbUrl: o.dbUrl, ...signal });
  if (!plan.ok) return { ok: false, stoppedAt: "plan", plan };
  log(`plan: install [${plan.install.join(", ")}], update [${plan.update.join(", ")}], cascade [${plan.cascade.join(", ")}]`);
  if (plan.install.length === 0 && plan.update.length === 0) return { ok: true, plan };

  const backup = await backupDatabase({
    dbUrl: o.dbUrl,
    directory: o.backupDir,
    ...(o.filestoreDir ? { filestoreDir: o.filestoreDir } : {}),
    verify: "basic",
    metadata: { revision: o.revision, previousRevision: plan.from ?? "" },
    ...signal,
  });
  if (!backup.ok) return { ok: false, stoppedAt: "backup", plan, backup };
  log(`backup: ${backup.path}`);

  const migrate = await migrateModules({
    runner: o.odooRunner,
    odooBin: o.odooBin,
    ...(o.odooConfig ? { odooConfig: o.odooConfig } : {}),
    ...(o.odooAddonsPath ? { addonsPath: o.odooAddonsPath } : {}),
    dbName: o.dbName,
    dbUrl: o.dbUrl,
    update: plan.update,
    install: plan.install,
    i18nOverwrite: plan.i18nOverwrite.length > 0,
    localAddonsPaths: o.addonsPaths.map((p) => `${o.repo}/${p}`),
    revision: o.revision,
    ...signal,
  });
  if (!migrate.ok) {
    log(`migrate failed: ${migrate.reasons.join("; ")}`);
    log(`to go back: odoo-deploy restore ${backup.path} --db-url <url> --swap`);
    return { ok: false, stoppedAt: "migrate", plan, backup, migrate };
  }
  log(`migrate: ok in ${migrate.durationMs} ms`);
  await o.switchService?.();

  if (!o.healthUrl) return { ok: true, plan, backup, migrate };
  const health = await waitForHealthy({ url: o.healthUrl, dbName: o.dbName, timeoutMs: 120_000, ...signal });
  return { ok: health.ok, ...(health.ok ? {} : { stoppedAt: "health" as const }), plan, backup, migrate, health };
}

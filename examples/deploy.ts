/**
 * A production release from your own deploy script: the pipeline article's phase 6 — pre-deploy backup, pull,
 * stop, migrate with the new image, start, health — plus what it lacks (a rollback point, the automatic rollback,
 * a journal that survives a crash) as one call of `deployOdoo`. The CLI equivalent is one line:
 *
 *   odoo-deploy deploy --image ghcr.io/acme/odoo:sha-3f2c1e0 --container odoo --backup-dir /var/backups/odoo \
 *     --health-url https://erp.example.com --smoke /web/login --notify-url "$CHAT_WEBHOOK"
 *
 *   npx tsx examples/deploy.ts ghcr.io/acme/odoo:sha-3f2c1e0
 */
import { pathToFileURL } from "node:url";
import { createDockerService, deployOdoo, type DeployOdooOptions, type DeployReport, type ServiceControl } from "@odoo-deploy/core";

/** What a release needs beyond the defaults below. */
export interface ReleaseOptions {
  /** The image to run, tagged by commit as the article's build phase does. */
  image?: string;
  /** The revision being deployed (default HEAD of `repo`). */
  revision?: string;
  dbUrl: string;
  repo: string;
  addonsPaths: string[];
  backupDir: string;
  /** How Odoo is stopped and started; default: the Docker container `odoo`. */
  service?: ServiceControl;
  healthUrl?: string;
  log?: (line: string) => void;
  /** Anything else of deployOdoo's options (odooBin, odooConfig, filestore, notifyUrl, …). */
  more?: Partial<DeployOdooOptions>;
}

/** Deploys and says what happened, step by step; a failure from the stop on has been rolled back already. */
export async function release(o: ReleaseOptions): Promise<DeployReport> {
  const log = o.log ?? ((l: string) => console.error(l));
  const report = await deployOdoo({
    dbUrl: o.dbUrl,
    repo: o.repo,
    addonsPaths: o.addonsPaths,
    backupDir: o.backupDir,
    service: o.service ?? createDockerService({ container: "odoo" }),
    ...(o.image ? { image: o.image } : {}),
    ...(o.revision ? { to: o.revision } : {}),
    ...(o.healthUrl ? { healthUrl: o.healthUrl } : {}),
    odooBin: "odoo",
    smokePaths: ["/web/login"],
    ...o.more,
    onEvent: (e) => {
      if (e.type === "deploy:step" || e.type === "rollback:step") log(`${e.type === "rollback:step" ? "rollback " : ""}${e.step.name}: ${e.step.status}${e.step.detail ? ` — ${e.step.detail}` : ""}`);
      if (e.type === "deploy:warning") log(`warning: ${e.message}`);
    },
  });
  if (report.ok) log(`deployed ${report.to.image ?? report.to.revision} in ${report.durationMs} ms (${report.downtimeMs ?? 0} ms of downtime)`);
  else log(`deploy ${report.id} failed at ${report.failure?.step}: ${report.failure?.message}${report.rolledBack ? " — rolled back, the previous code serves" : ""}`);
  return report;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const dbUrl = process.env.DATABASE_URL;
  if (!dbUrl) throw new Error("set DATABASE_URL (postgres://odoo:…@db/odoo_prod)");
  const r = await release({ image: process.argv[2], dbUrl, repo: ".", addonsPaths: ["custom_addons"], backupDir: "/var/backups/odoo", healthUrl: process.env.ODOO_URL });
  process.exitCode = r.ok ? 0 : 1;
}

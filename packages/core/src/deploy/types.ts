import type { BackupEvent, BackupFormat, BackupReport } from "../backup/types.js";
import type { HealthEvent, HealthReport } from "../health/wait-for-healthy.js";
import type { MigrateEvent, MigrateReport } from "../migrate/migrate.js";
import type { ClassificationRule } from "../plan/classify.js";
import type { DeployPlan, PlanEvent } from "../plan/plan-deploy.js";
import type { Check, ReportBase } from "../report.js";
import type { RestoreEvent } from "../backup/types.js";
import type { CommandRunner } from "../runner/types.js";
import type { ServiceControl } from "../service/types.js";
import type { StepEvent, StepFailure } from "../steps.js";
import type { RowsWritten } from "../rollback/data-since.js";
import type { DeployedCode, DeployStatus } from "./journal.js";
import type { FilestoreLocation } from "./rollback-point.js";

/** Where the deploy's database lives and how to reach the tools around it. */
export interface DeployTargetOptions {
  /** PostgreSQL URL of the Odoo database, as odoo-deploy reaches it. */
  dbUrl: string;
  /** Where the deploy journal lives (`<backupDir>/deploys/`) and the pre-deploy backups are published. */
  backupDir: string;
  /** How the Odoo service is stopped and started. */
  service: ServiceControl;
  /** The database's filestore and the host holding it; without it, neither backups nor rollback points hold files. */
  filestore?: FilestoreLocation;
  /** Where pg_dump, pg_restore and `df` run for the database (default local). */
  databaseRunner?: CommandRunner;
  /** Base URL of the Odoo server, for health after start; without it, health is skipped (and said so). */
  healthUrl?: string;
  /** Total health deadline in ms (default 120 000). */
  healthTimeoutMs?: number;
  /** Paths (`/web/login`, `/shop`) that must answer 200 once healthy. */
  smokePaths?: string[];
  /** POST the outcome as JSON to this URL (retried; a failure never fails the deploy). */
  notifyUrl?: string;
  signal?: AbortSignal;
  onEvent?: (event: DeployEvent) => void;
}

/** Options of {@link deployOdoo}. */
export interface DeployOdooOptions extends DeployTargetOptions {
  /** Git repository of the code and the addons paths inside it (planning reads revisions from it). */
  repo: string;
  addonsPaths: string[];
  /** Odoo's own addons on this machine, so their modules are not reported missing. */
  odooAddonsPaths?: string[];
  classification?: ClassificationRule[];
  /** Modules to install even if nothing requires them. */
  install?: string[];
  /** Revision to deploy (default HEAD). */
  to?: string;
  /** Base revision (default the database's `odoo_deploy.deployed_revision`). */
  from?: string;
  /** The image to run (Docker and Compose services). */
  image?: string;
  /** Where odoo-bin runs when the service gives no one-off container (systemd, commands): default local. */
  odooRunner?: CommandRunner;
  /** odoo-bin, or an argv prefix replacing it (default `odoo-bin`; `odoo` in the official image). */
  odooBin?: string | string[];
  /** Odoo's config file as the Odoo host (or the new image) sees it. */
  odooConfig?: string;
  /** Addons path as odoo-bin sees it (comma-separated). */
  odooAddonsPath?: string;
  /** Environment of odoo-bin (secrets: never reported). */
  odooEnv?: Record<string, string>;
  /** `auto` (default): a backup only when something is migrated; `always`: every deploy. */
  backup?: "auto" | "always";
  backupFormat?: BackupFormat;
  /** Rollback points kept after a successful deploy (default 1: the last good one stays until a newer exists). */
  keepRollbackPoints?: number;
  /** Do not roll back automatically after a failure (default: roll back). */
  rollback?: boolean;
  /** Print the plan and every step's commands, change nothing. */
  dryRun?: boolean;
  /** Kill odoo-bin after this long (ms). */
  migrateTimeoutMs?: number;
  /** How long to wait for another deploy or update holding a lock (default 0: refuse at once). */
  lockTimeoutMs?: number;
  /** Seconds to wait for every session to leave the database after the service stopped (default 30). */
  drainTimeoutMs?: number;
}

/** What a step would run, for a dry run. */
export interface DryRunStep {
  name: string;
  commands: string[];
}

/** Report of {@link deployOdoo}. */
export interface DeployReport extends ReportBase {
  /** The deploy id (`<UTC timestamp>-<random>`), the name of its journal entry. */
  id: string;
  database: string;
  status: DeployStatus | "dry-run";
  /** True when a failure was rolled back (the previous code runs on the pre-deploy database). */
  rolledBack: boolean;
  dryRun: boolean;
  from: DeployedCode;
  to: DeployedCode;
  steps: Check[];
  /** The rollback's own steps, after a failure. */
  rollback?: { steps: Check[]; ok: boolean };
  failure?: StepFailure;
  plan?: DeployPlan;
  backup?: BackupReport;
  migrate?: MigrateReport;
  health?: HealthReport;
  /** Service stopped → healthy again (on the new code, or the old one after a rollback). */
  downtimeMs?: number;
  /** Unfinished deploys of this database found and finished before this one. */
  recovered: string[];
  /** What a dry run would do. */
  wouldRun?: DryRunStep[];
  warnings: string[];
  journal: string;
  notified?: { ok: boolean; attempts: number; detail: string };
}

/** Options of {@link rollbackDeploy}. */
export interface RollbackDeployOptions extends DeployTargetOptions {
  /** The deploy to undo (default: the last successful one). */
  to?: string;
  /** Roll back even though rows were written since that deploy (they are kept in the replaced database). */
  acceptDataLoss?: boolean;
  /** Git repository, to check the rollback point's module versions against the revision it would start. */
  repo?: string;
  addonsPaths?: string[];
  dryRun?: boolean;
  lockTimeoutMs?: number;
}

/** Report of {@link rollbackDeploy}. */
export interface RollbackReport extends ReportBase {
  /** The deploy undone. */
  id: string;
  /** This rollback's own journal entry. */
  rollbackId: string;
  database: string;
  rolledBack: boolean;
  dryRun: boolean;
  /** What runs again: the code of before that deploy. */
  to: DeployedCode;
  steps: Check[];
  /** Rows written since the deploy ended, which the rollback would lose (refused without acceptDataLoss). */
  rowsSince: RowsWritten[];
  /** The replaced database, kept (`<db>_before_<ts>`), holding what was written since. */
  asideDatabase?: string;
  failure?: StepFailure;
  health?: HealthReport;
  recovered: string[];
  warnings: string[];
  journal: string;
  notified?: { ok: boolean; attempts: number; detail: string };
}

/** Progress of deploys and rollbacks: their steps, and the events of the primitives they compose. */
export type DeployEvent =
  | StepEvent<"deploy">
  | StepEvent<"rollback">
  | { type: "deploy:recovering"; id: string; status: DeployStatus; action: "rollback" | "resume" | "abandon" }
  | { type: "deploy:warning"; message: string }
  | PlanEvent
  | BackupEvent
  | RestoreEvent
  | MigrateEvent
  | HealthEvent;

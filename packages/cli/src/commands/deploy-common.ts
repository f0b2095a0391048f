/**
 * What `deploy`, `rollback` (and `deploy list`) share: the flags naming the database, the service, health and
 * notification, and the one mapping from settings to the library's options.
 */
import { createLocalRunner, formatDuration, parseDbUrl, parseDuration, UsageError, withDatabase, type Check, type DeployTargetOptions, type FilestoreLocation } from "@odoo-deploy/core";
import type { CommandContext, FlagSpecs } from "../command.js";
import { FLAGS } from "../flags.js";
import type { Settings } from "../config/schema.js";
import type { HumanOutput } from "../render/human.js";
import { databaseRunner, odooHostRunner } from "../runners.js";
import { serviceFromSettings } from "../service.js";

/** Flags of every command that stops and starts the Odoo service. */
export const SERVICE_FLAGS = {
  dbUrl: FLAGS.dbUrl,
  dbName: { ...FLAGS.dbName, description: "Odoo database name (when the URL names none)" },
  backupDir: { ...FLAGS.backupDir, description: "where backups and the deploy journal (deploys/) live" },
  filestoreDir: FLAGS.filestoreDir,
  container: FLAGS.serviceContainer,
  composeService: FLAGS.serviceComposeService,
  systemdUnit: FLAGS.systemdUnit,
  stopCommand: FLAGS.stopCommand,
  startCommand: FLAGS.startCommand,
  healthUrl: { ...FLAGS.healthUrl, description: "base URL of the Odoo server, checked after the start" },
  smoke: FLAGS.smoke,
  notifyUrl: FLAGS.notifyUrl,
} as const;

/** The database URL pointing at the Odoo database (database.url, with database.name when it names none). */
export function deployDbUrl(s: Settings, command: string): string {
  const url = s.database?.url ?? (s.database?.name ? `postgres:///${encodeURIComponent(s.database.name)}` : undefined);
  if (!url) throw new UsageError(`${command} needs the database: --db-url URL (or database.url, ODOO_DEPLOY_DATABASE_URL)`, { code: "MISSING_DB_URL" });
  return parseDbUrl(url).database ? url : withDatabase(url, s.database?.name ?? "");
}

/** The options every deploy-like command gives the library, and what to close afterwards. */
export function targetOptions(ctx: CommandContext<FlagSpecs>, command: string): { options: DeployTargetOptions; close: () => Promise<void> } {
  const s = ctx.settings;
  const dbUrl = deployDbUrl(s, command);
  if (!parseDbUrl(dbUrl).database) throw new UsageError(`${command} needs the Odoo database name: --db-name NAME or a --db-url naming it`, { code: "MISSING_DB_NAME" });
  const backupDir = s.backups?.directory;
  if (!backupDir) throw new UsageError(`${command} needs the backup directory (the journal lives there): --backup-dir DIR or backups.directory`, { code: "MISSING_BACKUP_DIR" });
  const { service, close: closeService } = serviceFromSettings(s, command);
  const dbRunner = databaseRunner(s);
  const on = s.deploy?.filestoreOn ?? "local";
  const fsRunner = on === "database" ? dbRunner : on === "odoo" ? odooHostRunner(s) : undefined;
  const filestore: FilestoreLocation | undefined = s.backups?.filestoreDir ? { dir: s.backups.filestoreDir, runner: fsRunner ?? createLocalRunner() } : undefined;
  return {
    options: {
      dbUrl,
      backupDir,
      service,
      databaseRunner: dbRunner,
      ...(filestore ? { filestore } : {}),
      ...(s.health?.url ? { healthUrl: s.health.url } : {}),
      ...(s.health?.timeout !== undefined ? { healthTimeoutMs: typeof s.health.timeout === "number" ? s.health.timeout : parseDuration(s.health.timeout) } : {}),
      ...(s.deploy?.smoke?.length ? { smokePaths: s.deploy.smoke } : {}),
      ...(s.deploy?.notifyUrl ? { notifyUrl: s.deploy.notifyUrl } : {}),
      signal: ctx.signal,
      onEvent: ctx.onEvent,
    },
    async close() {
      await closeService();
      await dbRunner.close();
      if (fsRunner && fsRunner !== dbRunner) await fsRunner.close();
    },
  };
}

/** Steps, then the rollback's steps, as check lines. */
export function renderSteps(steps: Check[], rollback: Check[] | undefined, out: HumanOutput): void {
  for (const s of steps) out.check(s);
  for (const s of rollback ?? []) out.check({ ...s, name: `rollback: ${s.name}` });
}

/** `3.2s` or nothing. */
export function took(ms: number | undefined): string {
  return ms === undefined ? "" : formatDuration(ms);
}

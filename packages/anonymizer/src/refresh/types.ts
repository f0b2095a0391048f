/**
 * The staging refresh's public types (issue 19): the options and report of {@link refreshStaging}, and of the
 * two parts it composes that are also usable alone — a backup restored through the anonymizer, and a filestore
 * staged by policy.
 */
import type {
  Check,
  CommandRunner,
  EventHandler,
  FilestoreLocation,
  FilestorePerms,
  HealthReport,
  NeutralizeReport,
  ReportBase,
  ServiceControl,
  StepFailure,
} from "@odoo-deploy/core";
import type { AnonymizeReport } from "../engine/database.js";
import type { AnonymizeStreamReport } from "../stream/filter.js";
import type { RulesSource } from "../rules/source.js";
import type { VerifyReport } from "../verify/verify.js";

/** What happens to the files of the copy's attachments (`ir_attachment`), on disk and in the database. */
export type FilestorePolicy = "none" | "placeholders" | "public" | "all";

export const FILESTORE_POLICIES: readonly FilestorePolicy[] = ["none", "placeholders", "public", "all"];

// ---------------------------------------------------------------------------------------------------------------
// A backup as a source

/** A backup file or directory, identified. */
export interface ResolvedBackup {
  /** The path given (or, for a directory of backups, the backup chosen in it). */
  path: string;
  /** `odoo-deploy`: a backup directory written by backupDatabase; `custom`: a bare `pg_dump -Fc` file; `zip`: Odoo's. */
  kind: "odoo-deploy" | "custom" | "zip";
  /**
   * What `dumpFile` holds: a custom-format archive or an Odoo zip (an odoo-deploy backup directory may hold
   * either). Set by resolveBackupSource; restoreAnonymizedBackup reads the file's first bytes either way.
   */
  format?: "custom" | "zip";
  /** The file holding the database: the custom-format dump, or the zip (its `dump.sql`). */
  dumpFile: string;
  /** Where the filestore is, if the backup has one: a tar (odoo-deploy backups) or the zip's `filestore/`. */
  filestore?: { kind: "tar" | "zip"; file: string };
  /** From the backup's manifest, when it has one. */
  database?: string;
  createdAt?: string;
  /** Whether the backup was verified (odoo-deploy backups record it; other files are not). */
  verified: boolean;
}

/** Options of restoreAnonymizedBackup. */
export interface RestoreAnonymizedOptions extends RulesSource {
  /** A resolved backup, or a path: a backup file, a backup directory, or a directory of backups (newest verified). */
  backup: ResolvedBackup | string;
  /** The database to fill: it exists and is empty (the caller created it). */
  targetUrl: string;
  secret?: string;
  /** Extract the backup's own filestore into this directory (created, mode 0700), for the `public`/`all` policies. */
  filestoreDir?: string;
  /** Local pg_restore and psql binaries (default from PATH). */
  pgRestore?: string;
  psql?: string;
  signal?: AbortSignal;
  onEvent?: EventHandler<RefreshEvent>;
}

/** Report of restoreAnonymizedBackup. */
export interface RestoreAnonymizedReport extends ReportBase {
  steps: Check[];
  backup: ResolvedBackup;
  /** The stream filter's report (rows, tables, coverage checks). */
  stream?: AnonymizeStreamReport;
  rows: number;
  /** Size of the plain SQL that went through the filter. */
  bytes: number;
  filestore?: { dir: string; files: number; bytes: number };
  failure?: StepFailure;
}

// ---------------------------------------------------------------------------------------------------------------
// The filestore, by policy

/** Options of stageFilestore. */
export interface StageFilestoreOptions {
  policy: FilestorePolicy;
  /** The new (already anonymized) database: its `ir_attachment` rows say which files are referenced. */
  dbUrl: string;
  /** Where the files go: created by stageFilestore (it must not exist); the swap's partial directory. */
  targetDir: string;
  /**
   * The source filestore; needed by `public` and `all` (`placeholders` and `none` read nothing from it). Local
   * unless a runner of another kind than `local` is given (then each file is streamed through it).
   */
  source?: { dir: string; runner?: CommandRunner };
  /**
   * Owner and modes of what is written (e.g. core's filestorePerms of the staging filestore being replaced, so the
   * staging Odoo reads the new one as it read the old one). Default: the running user, directories 0700, files
   * 0600. Hard links keep their inode's owner and mode (changing them would change production's file).
   */
  perms?: FilestorePerms;
  signal?: AbortSignal;
  onEvent?: EventHandler<RefreshEvent>;
}

/** Report of stageFilestore. */
export interface StageFilestoreReport extends ReportBase {
  policy: FilestorePolicy;
  checks: Check[];
  /** Files written into targetDir (placeholder files and originals). */
  files: number;
  bytes: number;
  /** Attachments (rows with a `store_fname`) pointed at a placeholder file. */
  placeholders: number;
  /** Distinct placeholder files written (one per kind used: the rows share them, as Odoo's dedup would). */
  placeholderFiles: number;
  /** Originals copied (or hard-linked: `linked` of them). */
  copied: number;
  linked: number;
  /** Attachments whose data lives in the database (`db_datas`) replaced by placeholders. */
  databaseAttachmentsReplaced: number;
  /** Attachments whose data lives in the database emptied (policy `none`). */
  databaseAttachmentsCleared: number;
  /** Attachments with content (a `store_fname` or `db_datas`) looked at, after the asset bundles were removed. */
  attachments: number;
  /** Odoo's generated asset bundles (`/web/assets/…` attachments of ir.ui.view) deleted: staging regenerates them. */
  assetBundlesRemoved: number;
  /**
   * Distinct referenced files not in targetDir: absent from the source (`public`, `all`; reported, not fatal:
   * production had them missing too), or not written at all (`none`).
   */
  missing: number;
  /** The first of them (at most 20), as `store_fname` values. */
  missingFiles: string[];
  /** Of the missing, store_fname values that are not plain relative paths (`..`, absolute): never used as paths. */
  unsafeNames: number;
}

// ---------------------------------------------------------------------------------------------------------------
// The refresh

/** Options of refreshStaging. */
export interface RefreshStagingOptions extends RulesSource {
  /** The production database, read on one snapshot (read only). Exactly one of sourceUrl and fromBackup. */
  sourceUrl?: string;
  /** A backup file or directory, or a directory of backups (the newest verified one is taken). */
  fromBackup?: string;
  /** URL of the staging database (its name is the staging database; the new copy is built beside it). */
  targetUrl: string;
  secret?: string;
  /** Parallel COPY streams of the database-to-database engine. */
  jobs?: number;
  /** `web.base.url` of the new staging (also frozen with `web.base.url.freeze`). */
  baseUrl?: string;
  /** A ribbon / banner text shown on staging (default: none). */
  ribbon?: string;
  /** SQL run in one transaction on the new copy after neutralization; its failure stops the refresh. */
  postSqlFile?: string;
  filestore?: FilestorePolicy;
  /** Production's filestore (`<data_dir>/filestore/<db>`), for the `public` and `all` policies with a live source. */
  sourceFilestore?: FilestoreLocation;
  /** The staging filestore (`<data_dir>/filestore/<staging db>`); without it, files are not touched. */
  targetFilestore?: FilestoreLocation;
  /** Leak-scan canaries: values that must not be found anywhere in the new staging. */
  canaries?: string[];
  /**
   * Rows of each source table whose original values the leak scan searches in the copy (default 20 000; tables
   * with more are named as sampled in the report; 0: every distinct value, up to 200 000 per column). A rule
   * that was not applied leaks every value, so a sample finds it; the fail-closed rules check is what guarantees
   * coverage.
   */
  leakScanRows?: number;
  /** Replaced stagings kept (`<db>_before_<id>` with their filestores), newest first (default 1). */
  keep?: number;
  /** How the staging Odoo is stopped and started. */
  service: ServiceControl;
  /**
   * Run `odoo-bin neutralize` on the copy (default true). `false` leaves production's mail servers, crons and
   * payment providers active on staging, and is said in the report's warnings: for benchmarks and databases
   * that are neutralized by the user's own `postSqlFile`.
   */
  neutralize?: boolean;
  /** Where odoo-bin neutralize runs (default local), and how. */
  odooRunner?: CommandRunner;
  odooBin?: string | string[];
  odooConfig?: string;
  odooEnv?: Record<string, string>;
  /** Base URL of the staging server for the health check (database-aware); without it, health is skipped (said so). */
  healthUrl?: string;
  healthTimeoutMs?: number;
  notifyUrl?: string;
  /** Where locks' stale-run records and swap journals live (default: the swap journal directory of core). */
  journalDir?: string;
  /** How long to wait for another refresh of the same staging (default 0: refuse at once). */
  lockTimeoutMs?: number;
  signal?: AbortSignal;
  onEvent?: EventHandler<RefreshEvent>;
}

/** Report of refreshStaging. */
export interface RefreshReport extends ReportBase {
  /** This run's id (`<UTC timestamp>-<random>`). */
  id: string;
  /** The staging database name. */
  database: string;
  source: { kind: "database"; database: string } | { kind: "backup"; backup: ResolvedBackup };
  steps: Check[];
  failure?: StepFailure;
  /** True when the new copy was put in place and later put back (the old staging serves again). */
  swappedBack: boolean;
  /** True when the new staging serves. */
  replaced: boolean;
  /** The new staging's URL (`baseUrl`). */
  url?: string;
  /** Database-to-database copy, or backup restore through the stream filter. */
  anonymize?: AnonymizeReport;
  restore?: RestoreAnonymizedReport;
  neutralize?: NeutralizeReport;
  filestore?: StageFilestoreReport;
  health?: HealthReport;
  verify?: VerifyReport;
  rows: number;
  /** Size of the new staging database (pg_database_size) once built. */
  databaseBytes?: number;
  /** Service stopped → healthy again. */
  downtimeMs?: number;
  /** The replaced staging kept aside (`<db>_before_<id>`), while `keep` allows. */
  asideDatabase?: string;
  /** Old stagings dropped per `keep`. */
  dropped: string[];
  /** What killed runs left behind, cleaned up by this run. */
  cleaned: string[];
  warnings: string[];
  notified?: { ok: boolean; attempts: number; detail: string };
}

/** Progress of the refresh: its steps, progress of the copy and of the filestore. */
export type RefreshEvent =
  | { type: "refresh:step-start"; name: string }
  | { type: "refresh:step"; step: Check }
  | { type: "refresh:cleaned"; what: string }
  | { type: "refresh:progress"; phase: "copy" | "filestore"; done: number; total?: number; unit: "rows" | "files"; table?: string; perSec?: number }
  | { type: "refresh:warning"; message: string };

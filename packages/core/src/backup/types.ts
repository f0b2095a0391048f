import type { Check, ReportBase } from "../report.js";
import type { SwapRecoveryEvent } from "../db/recoverable-swap.js";
import type { StepEvent, StepFailure } from "../steps.js";

/** Formats a backup can be written in: pg_dump's custom format (+ filestore tar), or Odoo's database-manager zip. */
export type BackupFormat = "custom" | "zip";

/** Levels of {@link verifyBackup}: `basic` reads everything; `restore` also restores into a scratch database. */
export type VerifyLevel = "basic" | "restore";

/** Size and sha256 of one file of a backup, relative to the backup directory (or the zip). */
export interface BackupFileEntry {
  name: string;
  bytes: number;
  sha256: string;
}

/** What was recorded about the last verification of a published backup. */
export interface VerificationRecord {
  level: VerifyLevel;
  ok: boolean;
  at: string;
  checks: Check[];
}

/** odoo-deploy's own part of a manifest, kept under one key so Odoo's reader ignores it. */
export interface OdooDeployManifest {
  formatVersion: 1;
  format: BackupFormat;
  createdAt: string;
  /** Name of the database that was dumped. */
  database: string;
  pgDumpVersion: string;
  serverVersion: string;
  tableCount: number;
  /** `pg_class.reltuples` per table (`schema.table`), taken in the dump's snapshot. */
  rowEstimates: Record<string, number>;
  /** Exact `count(*)` per table (`schema.table`), in the dump's snapshot; only with `rowCounts`. */
  rowCounts?: Record<string, number>;
  /** Data files: the dump and filestore archive (custom), or the zip (outer manifest), or dump.sql (inside a zip). */
  files: BackupFileEntry[];
  filestore?: { fileCount: number; bytes: number };
  dump: { command: string; exitCode: number; durationMs: number; runner: string };
  /** Free-form deploy metadata (git revision, image, …). */
  metadata: Record<string, string>;
  verification?: VerificationRecord;
}

/**
 * A backup's manifest: the fields Odoo's database manager writes (so Odoo and click-odoo read it) plus
 * odoo-deploy's under `odoo_deploy`.
 */
export interface BackupManifest {
  odoo_dump: "1";
  db_name: string;
  version: string;
  version_info: (number | string)[];
  major_version: string;
  pg_version: string;
  modules: Record<string, string>;
  odoo_deploy?: OdooDeployManifest;
}

/** Events of the backup and restore primitives. */
export type BackupEvent =
  | StepEvent<"backup">
  | { type: "backup:started"; database: string; format: BackupFormat; pgDumpVersion: string; serverVersion: string }
  | { type: "backup:progress"; phase: "dump" | "filestore" | "verify" | "restore"; bytes: number; rate: number; totalBytes?: number; fraction?: number }
  | { type: "backup:check"; check: Check }
  | { type: "backup:published"; path: string };

/** Events of {@link restoreDatabase} (with the settling of an earlier run of the same target, first). */
export type RestoreEvent =
  | SwapRecoveryEvent
  | { type: "restore:started"; source: string; database: string }
  | { type: "restore:progress"; phase: "database" | "filestore"; bytes: number; rate: number; totalBytes?: number; fraction?: number }
  | StepEvent<"restore">;

/** Report of {@link backupDatabase}. */
export interface BackupReport extends ReportBase {
  /** The published backup directory; absent when nothing was published. */
  path?: string;
  format: BackupFormat;
  database: string;
  bytes: number;
  manifest?: BackupManifest;
  steps: Check[];
  /** The judged failure (pg_dump refused, bytes on disk differ) that stopped the backup. */
  failure?: StepFailure;
  verification?: VerifyReport;
}

/** Report of {@link verifyBackup}. */
export interface VerifyReport extends ReportBase {
  path: string;
  level: VerifyLevel;
  format: BackupFormat;
  checks: Check[];
  /** Attachment files referenced by ir_attachment but absent from the filestore archive. */
  missingFiles?: string[];
  /** Files of the archive no attachment references (reported, not failed). */
  unreferencedFiles?: number;
}

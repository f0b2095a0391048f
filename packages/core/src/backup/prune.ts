/**
 * Retention: deleting old backups by count and age, never the newest verified one.
 */
import { randomBytes } from "node:crypto";
import { rename } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { durationSince, type Check, type ReportBase } from "../report.js";
import { removeQuietly } from "./files.js";
import { listBackups, type BackupListEntry } from "./list.js";

/** Options of {@link pruneBackups}. */
export interface PruneBackupsOptions {
  directory: string;
  /** Keep the N newest backups. */
  keepLast?: number;
  /** Keep backups younger than D days. */
  keepDays?: number;
  /** Only report what would be deleted. */
  dryRun?: boolean;
  /** Reference time (default now). */
  now?: Date;
  signal?: AbortSignal;
}

/** Report of {@link pruneBackups}. */
export interface PruneReport extends ReportBase {
  directory: string;
  kept: { name: string; reasons: string[] }[];
  deleted: string[];
  dryRun: boolean;
  steps: Check[];
}

/**
 * Deletes backups that are neither among the `keepLast` newest nor younger than `keepDays` days. The newest
 * backup whose last verification passed is always kept. A backup is first renamed to a hidden name, then
 * removed, so it is never seen half-deleted.
 *
 * @example await pruneBackups({ directory: "/var/backups/odoo", keepLast: 7, keepDays: 30 });
 */
export async function pruneBackups(options: PruneBackupsOptions): Promise<PruneReport> {
  const start = performance.now();
  if (options.keepLast === undefined && options.keepDays === undefined) {
    throw new UsageError("prune needs a retention: --keep-last N and/or --keep-days D (or backups.retention in odoo-deploy.yaml)", { code: "NO_RETENTION" });
  }
  if (options.keepLast !== undefined && (!Number.isInteger(options.keepLast) || options.keepLast < 1)) throw new UsageError("--keep-last must be a whole number >= 1");
  if (options.keepDays !== undefined && !(options.keepDays >= 0)) throw new UsageError("--keep-days must be >= 0");
  const { backups } = await listBackups({ directory: options.directory, signal: options.signal });
  const now = (options.now ?? new Date()).getTime();
  const newestVerified = backups.find((b) => b.verified?.ok);
  const kept: PruneReport["kept"] = [];
  const doomed: BackupListEntry[] = [];
  backups.forEach((b, i) => {
    const reasons: string[] = [];
    if (options.keepLast !== undefined && i < options.keepLast) reasons.push(`among the ${options.keepLast} newest`);
    if (options.keepDays !== undefined && now - Date.parse(b.createdAt) < options.keepDays * 86_400_000) reasons.push(`younger than ${options.keepDays} days`);
    if (b === newestVerified) reasons.push("newest verified backup");
    if (reasons.length) kept.push({ name: b.name, reasons });
    else doomed.push(b);
  });
  const steps: Check[] = [];
  const deleted: string[] = [];
  for (const b of doomed) {
    if (options.dryRun) {
      deleted.push(b.name);
      continue;
    }
    try {
      const hidden = path.join(path.dirname(b.path), `.${b.name}.deleting-${randomBytes(4).toString("hex")}`);
      await rename(b.path, hidden);
      await removeQuietly(hidden);
      deleted.push(b.name);
      steps.push({ name: `delete ${b.name}`, status: "ok" });
    } catch (e) {
      steps.push({ name: `delete ${b.name}`, status: "failed", detail: (e as Error).message });
    }
  }
  return {
    ok: steps.every((s) => s.status !== "failed"),
    durationMs: durationSince(start),
    directory: path.resolve(options.directory),
    kept,
    deleted,
    dryRun: Boolean(options.dryRun),
    steps,
  };
}

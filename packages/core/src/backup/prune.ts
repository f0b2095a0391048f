/**
 * Retention: deleting old backups by count and age, per database, never the newest verified one — and only
 * backups odoo-deploy can prove it wrote (a directory whose manifest it made); a zip or anything else lying in
 * the directory is never deleted.
 */
import { randomBytes } from "node:crypto";
import { readdir, rename, rm, rmdir } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { durationSince, type Check, type ReportBase } from "../report.js";
import { fsyncPath, typedFsError } from "./files.js";
import { listBackups, type BackupListEntry } from "./list.js";
import { MANIFEST_FILE } from "./manifest.js";

/** Options of {@link pruneBackups}. */
export interface PruneBackupsOptions {
  directory: string;
  /** Keep the N newest backups (of each database). */
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
  /** Entries left alone because nothing proves odoo-deploy wrote them (bare zips). */
  ignored: { name: string; reason: string }[];
  dryRun: boolean;
  steps: Check[];
}

/**
 * Deletes backups that are neither among the `keepLast` newest of their database nor younger than `keepDays`
 * days. The newest backup of each database whose last verification passed is always kept. Only backup
 * directories odoo-deploy wrote are candidates, and of those only the files their manifest lists (a file someone
 * added stays, in the directory under its name). A backup is first renamed to a hidden name, then removed, so
 * it is never seen half-deleted.
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
  const ignored = backups.filter((b) => !b.ours).map((b) => ({ name: b.name, reason: "not written by odoo-deploy (no odoo-deploy manifest): never deleted" }));
  const kept: PruneReport["kept"] = [];
  const doomed: BackupListEntry[] = [];
  // Retention counts per database: hourly backups of one database must not push out every backup of another.
  const byDatabase = new Map<string, BackupListEntry[]>();
  for (const b of backups.filter((x) => x.ours)) byDatabase.set(b.database, [...(byDatabase.get(b.database) ?? []), b]);
  const reasonsOf = new Map<BackupListEntry, string[]>();
  for (const group of byDatabase.values()) {
    const newestVerified = group.find((b) => b.verified?.ok);
    group.forEach((b, i) => {
      const reasons: string[] = [];
      if (options.keepLast !== undefined && i < options.keepLast) reasons.push(`among the ${options.keepLast} newest`);
      if (options.keepDays !== undefined && now - Date.parse(b.createdAt) < options.keepDays * 86_400_000) reasons.push(`younger than ${options.keepDays} days`);
      if (b === newestVerified) reasons.push("newest verified backup");
      reasonsOf.set(b, reasons);
    });
  }
  for (const b of backups) {
    const reasons = reasonsOf.get(b);
    if (!reasons) continue;
    if (reasons.length) kept.push({ name: b.name, reasons });
    else doomed.push(b);
  }
  const steps: Check[] = [];
  const deleted: string[] = [];
  for (const b of doomed) {
    if (options.dryRun) {
      deleted.push(b.name);
      continue;
    }
    try {
      const left = await deleteBackup(b);
      deleted.push(b.name);
      steps.push({ name: `delete ${b.name}`, status: "ok", ...(left.length ? { detail: `kept what the manifest does not list: ${left.join(", ")}` } : {}) });
    } catch (e) {
      const typed = typedFsError(e, `deleting ${b.path}`);
      steps.push({ name: `delete ${b.name}`, status: "failed", detail: (typed as Error).message });
    }
  }
  return {
    ok: steps.every((s) => s.status !== "failed"),
    durationMs: durationSince(start),
    directory: path.resolve(options.directory),
    kept,
    deleted,
    ignored,
    dryRun: Boolean(options.dryRun),
    steps,
  };
}

/**
 * Renames the backup to a hidden name, removes the files its manifest lists and the manifest (with leftovers of
 * its atomic rewrites), then the directory; anything else found there is put back under the backup's name.
 * Returns the names kept.
 */
async function deleteBackup(b: BackupListEntry): Promise<string[]> {
  const parent = path.dirname(b.path);
  const hidden = path.join(parent, `.${b.name}.deleting-${randomBytes(4).toString("hex")}`);
  await rename(b.path, hidden);
  for (const f of b.files) await rm(path.join(hidden, f), { force: true });
  await rm(path.join(hidden, MANIFEST_FILE), { force: true });
  const rest = await readdir(hidden);
  for (const f of rest.filter((n) => n.startsWith(`.${MANIFEST_FILE}.`))) await rm(path.join(hidden, f), { force: true });
  const left = (await readdir(hidden)).sort();
  if (left.length) await rename(hidden, b.path);
  else await rmdir(hidden);
  await fsyncPath(parent).catch(() => {});
  return left;
}

/**
 * Listing published backups of a directory (and bare Odoo zips dropped there), newest first.
 */
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { durationSince, type ReportBase } from "../report.js";
import { locateBackup } from "./manifest.js";
import type { BackupFormat, VerifyLevel } from "./types.js";

/** One backup found by {@link listBackups}. */
export interface BackupListEntry {
  path: string;
  name: string;
  format: BackupFormat;
  database: string;
  createdAt: string;
  bytes: number;
  /** True for a backup directory odoo-deploy wrote (its manifest has an `odoo_deploy` part); false for a bare zip. */
  ours: boolean;
  /** The data files the manifest lists (what prune deletes, with the manifest), relative to `path`. */
  files: string[];
  /** Level and outcome of the last recorded verification; undefined when never verified. */
  verified?: { level: VerifyLevel; ok: boolean; at: string };
  metadata: Record<string, string>;
}

/** Options of {@link listBackups}. */
export interface ListBackupsOptions {
  directory: string;
  signal?: AbortSignal;
}

/** Report of {@link listBackups}. */
export interface ListBackupsReport extends ReportBase {
  directory: string;
  backups: BackupListEntry[];
  /** Entries that look like backups but could not be read. */
  unreadable: { name: string; reason: string }[];
  checks: [];
}

/**
 * Lists the backups of a directory, newest first. Work directories of backups in progress (hidden
 * `.NAME.partial-*`) are not listed.
 *
 * @example const { backups } = await listBackups({ directory: "/var/backups/odoo" });
 */
export async function listBackups(options: ListBackupsOptions): Promise<ListBackupsReport> {
  const start = performance.now();
  const dir = path.resolve(options.directory);
  const names = await readdir(dir).catch((e: unknown) => {
    throw new UsageError(`cannot read backup directory ${dir}: ${(e as Error).message}`, { code: "BACKUP_DIR_UNREADABLE" });
  });
  const backups: BackupListEntry[] = [];
  const unreadable: { name: string; reason: string }[] = [];
  for (const name of names.sort()) {
    if (name.startsWith(".")) continue;
    const p = path.join(dir, name);
    const st = await stat(p).catch(() => undefined);
    if (!st || (st.isFile() && !name.endsWith(".zip"))) continue;
    try {
      const b = await locateBackup(p);
      const ours = b.manifest?.odoo_deploy;
      backups.push({
        path: p,
        name,
        format: b.format,
        ours: Boolean(ours && b.dir),
        files: ours && b.dir ? ours.files.map((f) => f.name) : [],
        database: ours?.database ?? b.manifest?.db_name ?? "",
        createdAt: ours?.createdAt ?? st.mtime.toISOString(),
        bytes: ours ? ours.files.reduce((s, f) => s + f.bytes, 0) : st.size,
        ...(ours?.verification ? { verified: { level: ours.verification.level, ok: ours.verification.ok, at: ours.verification.at } } : {}),
        metadata: ours?.metadata ?? {},
      });
    } catch (e) {
      if (st.isDirectory() || name.endsWith(".zip")) unreadable.push({ name, reason: (e as Error).message });
    }
  }
  backups.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.name < b.name ? 1 : -1));
  return { ok: true, durationMs: durationSince(start), directory: dir, backups, unreadable, checks: [] };
}

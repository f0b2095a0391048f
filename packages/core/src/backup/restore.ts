/**
 * `restoreDatabase`: a backup restored into a *new* database (and filestore beside the old one); only once
 * it restored without error and its row counts match may it be swapped in. The original database and
 * filestore are renamed aside, never dropped or overwritten.
 */
import { createReadStream } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { AbortedError, throwIfAborted, UsageError } from "../errors.js";
import { parseDbUrl, withDatabase } from "../db/connection.js";
import { asideDatabaseName, databaseExists, fitDatabaseName, swapDatabase } from "../db/swap.js";
import { durationSince, type Check, type EventHandler, type ReportBase } from "../report.js";
import { createLocalRunner } from "../runner/local.js";
import type { CommandRunner } from "../runner/types.js";
import { redactUrl } from "../util/redact.js";
import { compactTimestamp, exists, fsyncPath, hashFile, partialPath, removeQuietly } from "./files.js";
import { extractFilestoreTar, writeFilestoreFile } from "./filestore.js";
import { locateBackup, type LocatedBackup } from "./manifest.js";
import { dropCreatedDatabase, restoreInto } from "./restore-into.js";
import { countAllRows } from "./snapshot.js";
import type { RestoreEvent } from "./types.js";
import { compareRowCounts } from "./verify.js";
import { openZip, ZIP_FILESTORE_PREFIX } from "./zip.js";

/** Options of {@link restoreDatabase}. */
export interface RestoreDatabaseOptions {
  /** A backup directory or a bare Odoo zip. */
  path: string;
  /** URL of the database the backup is for; the restore goes into a new database on the same server. */
  dbUrl: string;
  /** The target database's filestore (`<data_dir>/filestore/<db>`); the backup's filestore is restored beside it. */
  filestoreDir?: string;
  /** Put the restored database (and filestore) in place of the current one, which is renamed aside. */
  swap?: boolean;
  /** Where pg_restore/psql run (default local); the dump is streamed to them. */
  runner?: CommandRunner;
  pgRestore?: string;
  psql?: string;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  onEvent?: EventHandler<RestoreEvent>;
}

/** Report of {@link restoreDatabase}. */
export interface RestoreReport extends ReportBase {
  source: string;
  /** The database name the backup was restored for. */
  database: string;
  /** The name the restored database has now (the target name when swapped in). */
  restoredAs?: string;
  swapped: boolean;
  /** The old database's new name after a swap. */
  asideDatabase?: string;
  /** Where the restored filestore is now. */
  filestoreDir?: string;
  asideFilestoreDir?: string;
  steps: Check[];
}

/**
 * Restores a backup into a new database `<db>_restore_<timestamp>`. When the target does not exist, the
 * restored database takes its name; with `swap`, it replaces it and the old one becomes
 * `<db>_before_<timestamp>`. A failed restore drops only what it created and leaves the original untouched;
 * it is reported as `ok: false` with the failing step.
 *
 * @example
 * const r = await restoreDatabase({ path: "/backups/odoo_prod_20261127T093512Z", dbUrl, swap: true,
 *   filestoreDir: "/var/lib/odoo/filestore/odoo_prod" });
 * console.log(r.asideDatabase); // odoo_prod_before_20261127T101500Z
 */
export async function restoreDatabase(options: RestoreDatabaseOptions): Promise<RestoreReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  const target = parseDbUrl(options.dbUrl).database;
  if (!target) throw new UsageError(`the database URL names no database: ${redactUrl(options.dbUrl)}`, { code: "BAD_DB_URL" });
  const backup = await locateBackup(path.resolve(options.path));
  const runner = options.runner ?? createLocalRunner();
  const steps: Check[] = [];
  const emit = (e: RestoreEvent) => options.onEvent?.(e);
  const now = new Date();
  const ts = compactTimestamp(now);
  const newDb = fitDatabaseName(target, `_restore_${ts}`);
  const report = (ok: boolean, extra: Partial<RestoreReport> = {}): RestoreReport => ({
    ok,
    durationMs: durationSince(start),
    source: backup.path,
    database: target,
    swapped: false,
    steps,
    ...extra,
  });
  const run = async (name: string, fn: () => Promise<string | void>): Promise<boolean> => {
    const t0 = performance.now();
    try {
      const detail = await fn();
      const s: Check = { name, status: "ok", ...(detail ? { detail } : {}), durationMs: durationSince(t0) };
      steps.push(s);
      emit({ type: "restore:step", step: s });
      return true;
    } catch (e) {
      if (e instanceof AbortedError || options.signal?.aborted) throw e instanceof AbortedError ? e : new AbortedError("restore aborted");
      const s: Check = { name, status: "failed", detail: (e as Error).message, durationMs: durationSince(t0) };
      steps.push(s);
      emit({ type: "restore:step", step: s });
      return false;
    }
  };
  emit({ type: "restore:started", source: backup.path, database: target });

  const targetExists = await databaseExists(options.dbUrl, target);
  let createdDb = false;
  let fsWork: string | undefined;
  let fsRestored: string | undefined;
  const fsParent = options.filestoreDir ? path.dirname(path.resolve(options.filestoreDir)) : undefined;
  const fsBase = options.filestoreDir ? path.basename(path.resolve(options.filestoreDir)) : undefined;
  // Filestores are named after their database: <data_dir>/filestore/<db>.
  const fsNameFor = (db: string) => (fsBase === target ? db : `${fsBase}${db.slice(target.length)}`);
  try {
    if (!(await run("checksums", () => checkFiles(backup, options.signal)))) return report(false);
    createdDb = true;
    const restored = await run("restore-database", async () => {
      await restoreInto({
        backup,
        serverUrl: options.dbUrl,
        database: newDb,
        runner,
        pgRestore: options.pgRestore,
        psql: options.psql,
        signal: options.signal,
        progressIntervalMs: options.progressIntervalMs,
        onProgress: (bytes, rate, totalBytes) =>
          emit({ type: "restore:progress", phase: "database", bytes, rate, totalBytes, fraction: totalBytes ? bytes / totalBytes : undefined }),
      });
      return `restored into ${newDb}`;
    });
    if (!restored) {
      await dropCreatedDatabase(options.dbUrl, newDb).catch(() => {});
      createdDb = false;
      return report(false);
    }
    const counted = await run("row-counts", async () => {
      const expected = backup.manifest?.odoo_deploy?.rowCounts;
      if (!expected) return "skipped: the backup has no exact row counts";
      const diffs = compareRowCounts(expected, await countAllRows(withDatabase(options.dbUrl, newDb), options.signal));
      if (diffs.length) throw new Error(`${diffs.length} tables differ from the backup: ${diffs.slice(0, 20).join(", ")}`);
      return `${Object.keys(expected).length} tables match the backup's row counts`;
    });
    if (!counted) {
      await dropCreatedDatabase(options.dbUrl, newDb).catch(() => {});
      createdDb = false;
      return report(false);
    }
    if (options.filestoreDir && fsParent) {
      const hasFs = backup.format === "custom" ? Boolean(backup.filestoreFile) : true;
      if (hasFs) {
        const fsOk = await run("restore-filestore", async () => {
          const finalFs = path.join(fsParent, fsNameFor(newDb));
          await mkdir(fsParent, { recursive: true });
          fsWork = partialPath(fsParent, fsNameFor(newDb));
          const stats = await extractFilestore(backup, fsWork, options.signal);
          await fsyncPath(fsParent);
          await rename(fsWork, finalFs);
          fsWork = undefined;
          fsRestored = finalFs;
          return `${stats.files} files into ${finalFs}`;
        });
        if (!fsOk) {
          await dropCreatedDatabase(options.dbUrl, newDb).catch(() => {});
          createdDb = false;
          return report(false);
        }
      }
    }
    // Without swap an existing database is never touched: the restore stays under its own name.
    if (!options.swap && targetExists) {
      createdDb = false;
      return report(true, { restoredAs: newDb, ...(fsRestored ? { filestoreDir: fsRestored } : {}) });
    }

    // Swap in (or, with no database under the target name, simply take the name).
    const aside = targetExists ? asideDatabaseName(target, now) : undefined;
    let asideFs: string | undefined;
    let movedFs = false;
    const targetFs = options.filestoreDir ? path.resolve(options.filestoreDir) : undefined;
    const swapped = await run("swap", async () => {
      if (fsRestored && targetFs) {
        if (await exists(targetFs)) {
          asideFs = path.join(fsParent!, fsNameFor(aside ?? asideDatabaseName(target, now)));
          await rename(targetFs, asideFs);
        }
        await rename(fsRestored, targetFs);
        movedFs = true;
      }
      try {
        const r = await swapDatabase({ dbUrl: options.dbUrl, database: target, replacement: newDb, asideName: aside, signal: options.signal });
        return r.asideName ? `${target} → ${r.asideName}, ${newDb} → ${target} (${r.terminatedSessions} sessions terminated)` : `${newDb} → ${target}`;
      } catch (e) {
        if (movedFs && targetFs && fsRestored) {
          await rename(targetFs, fsRestored).catch(() => {});
          if (asideFs) await rename(asideFs, targetFs).catch(() => {});
          asideFs = undefined;
        }
        throw e;
      }
    });
    if (!swapped) {
      createdDb = false;
      return report(false, { restoredAs: newDb, ...(fsRestored ? { filestoreDir: fsRestored } : {}) });
    }
    createdDb = false;
    return report(true, {
      restoredAs: target,
      swapped: Boolean(aside),
      ...(aside ? { asideDatabase: aside } : {}),
      ...(targetFs && fsRestored ? { filestoreDir: targetFs } : {}),
      ...(asideFs ? { asideFilestoreDir: asideFs } : {}),
    });
  } catch (e) {
    if (createdDb) await dropCreatedDatabase(options.dbUrl, newDb).catch(() => {});
    await removeQuietly(fsWork);
    throw e;
  }
}

async function checkFiles(backup: LocatedBackup, signal?: AbortSignal): Promise<string> {
  const ours = backup.manifest?.odoo_deploy;
  if (!ours || !backup.dir) return "no checksums recorded (bare zip)";
  for (const f of ours.files) {
    const h = await hashFile(path.join(backup.dir, f.name), signal).catch(() => undefined);
    if (!h) throw new Error(`${f.name}: missing`);
    if (h.sha256 !== f.sha256 || h.bytes !== f.bytes) throw new Error(`${f.name}: size or sha256 differs from the manifest`);
  }
  return `${ours.files.length} files match their sha256`;
}

async function extractFilestore(backup: LocatedBackup, dest: string, signal?: AbortSignal): Promise<{ files: number }> {
  if (backup.format === "custom") return extractFilestoreTar(createReadStream(backup.filestoreFile!), dest, signal);
  await mkdir(dest, { mode: 0o700 });
  const zip = await openZip(backup.zipFile!);
  let files = 0;
  try {
    for (const entry of zip.entries) {
      throwIfAborted(signal);
      if (!entry.fileName.startsWith(ZIP_FILESTORE_PREFIX) || entry.fileName.endsWith("/")) continue;
      await writeFilestoreFile(dest, entry.fileName.slice(ZIP_FILESTORE_PREFIX.length), await zip.open(entry));
      files++;
    }
  } finally {
    zip.close();
  }
  return { files };
}

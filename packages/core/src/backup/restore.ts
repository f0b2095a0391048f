/**
 * `restoreDatabase`: a backup restored into a *new* database (and filestore beside the old one); only once
 * it restored without error and its row counts match may it be swapped in. The original database and
 * filestore are renamed aside, never dropped or overwritten. Every name the run makes ends with its run id and
 * is journaled before it exists (db/recoverable-swap.ts): a run killed at any point is finished or undone by the
 * next one, which does that before anything else.
 */
import { createReadStream } from "node:fs";
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import { AbortedError, OdooDeployError, OperationFailedError, throwIfAborted, UsageError } from "../errors.js";
import { StepRecorder, type StepFailure } from "../steps.js";
import { parseDbUrl, withDatabase } from "../db/connection.js";
import { prepareSwap, recoverSwaps, type PreparedSwap, type RecoveredSwap } from "../db/recoverable-swap.js";
import { databaseExists } from "../db/swap.js";
import { durationSince, type Check, type EventHandler, type ReportBase } from "../report.js";
import { createLocalRunner } from "../runner/local.js";
import type { CommandRunner } from "../runner/types.js";
import { failpoint } from "../util/failpoint.js";
import { redactUrl } from "../util/redact.js";
import { newRunId } from "../util/run-id.js";
import { fsyncPath, hashFile, typedFsError } from "./files.js";
import { extractFilestoreTar, filestorePerms, type FilestorePerms } from "./filestore.js";
import { locateBackup, type LocatedBackup } from "./manifest.js";
import { restoreInto } from "./restore-into.js";
import { countAllRows } from "./snapshot.js";
import type { RestoreEvent } from "./types.js";
import { compareRowCounts } from "./verify.js";
import { extractFilestoreZip, openZip } from "./zip.js";

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
  /** Where the run's journal is kept (default `defaultJournalDir()`); every restore of a target must use the same. */
  journalDir?: string;
  /** Milliseconds the swap keeps terminating sessions on the databases before giving up (default 15 s). */
  terminateTimeoutMs?: number;
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
  /** This run's id: the names it made end with it. */
  runId: string;
  /** The name the restored database has now (the target name when swapped in). */
  restoredAs?: string;
  swapped: boolean;
  /** The old database's new name after a swap. */
  asideDatabase?: string;
  /** Where the restored filestore is now. */
  filestoreDir?: string;
  asideFilestoreDir?: string;
  /** Unfinished runs of earlier restores (or swaps) of this target found and settled before this one began. */
  recovered?: RecoveredSwap[];
  steps: Check[];
  /** The judged failure that stopped the restore (a damaged backup, row counts that differ, a refused swap). */
  failure?: StepFailure;
}

/**
 * Restores a backup into a new database `<db>_restore_<run id>`. When the target does not exist, the restored
 * database takes its name; with `swap`, it replaces it and the old one becomes `<db>_before_<run id>` (the
 * filestore likewise). An unfinished restore of the same target (killed, its terminal dropped) is finished or
 * undone first (`recovered`). A failed restore removes only what it made and leaves the original untouched; it
 * is reported as `ok: false` with the failing step.
 *
 * @example
 * const r = await restoreDatabase({ path: "/backups/odoo_prod_20261127T093512Z", dbUrl, swap: true,
 *   filestoreDir: "/var/lib/odoo/filestore/odoo_prod" });
 * console.log(r.asideDatabase); // odoo_prod_before_20261127T101500Z_3f9a1c
 */
export async function restoreDatabase(options: RestoreDatabaseOptions): Promise<RestoreReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  const target = parseDbUrl(options.dbUrl).database;
  if (!target) throw new UsageError(`the database URL names no database: ${redactUrl(options.dbUrl)}`, { code: "BAD_DB_URL" });
  const runId = newRunId();
  const emit = (e: RestoreEvent) => options.onEvent?.(e);
  const recorder = new StepRecorder("restore", { onEvent: emit, signal: options.signal });
  const steps = recorder.steps;
  let recovered: RecoveredSwap[] | undefined;
  let source = path.resolve(options.path);
  const report = (ok: boolean, extra: Partial<RestoreReport> = {}): RestoreReport => ({
    ok,
    durationMs: durationSince(start),
    source,
    database: target,
    runId,
    swapped: false,
    ...(recovered?.length ? { recovered } : {}),
    steps,
    ...(recorder.failure ? { failure: recorder.failure } : {}),
    ...extra,
  });
  // A judged failure (damaged backup, row counts that differ, a swap refused) is an `ok: false` report naming the
  // step; environment and usage errors are thrown (steps.ts).
  const run = async (name: string, fn: () => Promise<string | void>): Promise<boolean> =>
    (await recorder.run(name, async () => (await fn()) ?? undefined, (detail) => detail)).ok;

  let swap: PreparedSwap | undefined;
  try {
    // Before anything else: an earlier run of this target that was killed half-way is finished or undone.
    const t0 = performance.now();
    const rec = await recoverSwaps({ dbUrl: options.dbUrl, database: target, journalDir: options.journalDir, signal: options.signal, onEvent: emit });
    if (rec.swaps.length) {
      recovered = rec.swaps;
      const detail = rec.swaps.map((s) => `${s.id} ${s.outcome}: ${s.detail}`).join("; ");
      recorder.record({ name: "recover", status: rec.ok ? "ok" : "failed", detail, durationMs: durationSince(t0) });
      if (!rec.ok) {
        recorder.failure ??= { step: "recover", code: "SWAP_UNRECOVERABLE", message: `an earlier restore of ${target} cannot be settled: ${detail}`, details: {} };
        return report(false);
      }
    }

    const backup = await locateBackup(source);
    source = backup.path;
    const runner = options.runner ?? createLocalRunner();
    emit({ type: "restore:started", source: backup.path, database: target });
    if (!(await run("checksums", () => checkFiles(backup, options.signal)))) return report(false);

    const hasFs = Boolean(options.filestoreDir) && (backup.format === "zip" || Boolean(backup.filestoreFile));
    swap = await prepareSwap({
      dbUrl: options.dbUrl,
      database: target,
      id: runId,
      journalDir: options.journalDir,
      ...(hasFs ? { filestore: { dir: options.filestoreDir! } } : {}),
      signal: options.signal,
    });
    await failpoint("restore:prepared", options.signal);
    const newDb = swap.replacement;

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
    if (!restored) return await abandoned(swap, report);
    const counted = await run("row-counts", async () => {
      const expected = backup.manifest?.odoo_deploy?.rowCounts;
      if (!expected) return "skipped: the backup has no exact row counts";
      const diffs = compareRowCounts(expected, await countAllRows(withDatabase(options.dbUrl, newDb), options.signal));
      if (diffs.length) throw new OperationFailedError(`${diffs.length} tables differ from the backup: ${diffs.slice(0, 20).join(", ")}`, { code: "ROW_COUNTS_DIFFER" });
      return `${Object.keys(expected).length} tables match the backup's row counts`;
    });
    if (!counted) return await abandoned(swap, report);

    const fs = swap.filestore;
    if (options.filestoreDir && !fs) recorder.skip("restore-filestore", `the backup has no filestore: ${options.filestoreDir} is left as it is`);
    if (fs) {
      const fsOk = await run("restore-filestore", async () => {
        const perms = await filestorePerms(fs.dir);
        await mkdir(path.dirname(fs.partial!), { recursive: true });
        const stats = await extractFilestore(backup, fs.partial!, perms, options.signal);
        await rename(fs.partial!, fs.replacement);
        await fsyncPath(path.dirname(fs.replacement));
        return `${stats.files} files into ${fs.replacement}, ${describePerms(perms)}`;
      });
      if (!fsOk) return await abandoned(swap, report);
    }
    await failpoint("restore:before-swap", options.signal);

    // Without swap an existing database is never touched: the restore stays under its own name.
    if (!options.swap && (await databaseExists(options.dbUrl, target))) {
      await swap.release();
      return report(true, { restoredAs: newDb, ...(fs ? { filestoreDir: fs.replacement } : {}) });
    }

    // Swap in (or, with no database under the target name, simply take the name).
    let committed: Awaited<ReturnType<PreparedSwap["commit"]>> | undefined;
    const swapped = await run("swap", async () => {
      committed = await swap!.commit({ signal: options.signal, terminateTimeoutMs: options.terminateTimeoutMs });
      const c = committed;
      const fsPart = c.filestoreDir ? `; filestore ${c.asideFilestoreDir ? `${c.filestoreDir} → ${c.asideFilestoreDir}, ` : ""}${fs!.replacement} → ${c.filestoreDir}` : "";
      return `${c.asideName ? `${target} → ${c.asideName}, ` : ""}${newDb} → ${target} (${c.terminatedSessions} sessions terminated)${fsPart}`;
    });
    if (!swapped) return await abandoned(swap, report);
    const c = committed!;
    if (options.signal?.aborted) {
      // Interrupted after the point of no return: the swap was completed rather than left half-way.
      throw new AbortedError(`restore interrupted after the swap committed; it was completed: ${target} is the restored database${c.asideName ? `, the old one is ${c.asideName}` : ""}`);
    }
    return report(true, {
      restoredAs: target,
      swapped: Boolean(c.asideName),
      ...(c.asideName ? { asideDatabase: c.asideName } : {}),
      ...(c.filestoreDir ? { filestoreDir: c.filestoreDir } : {}),
      ...(c.asideFilestoreDir ? { asideFilestoreDir: c.asideFilestoreDir } : {}),
    });
  } catch (e) {
    await swap?.abandon().catch(() => {});
    const typed = typedFsError(e, `restoring ${source} for ${target}`);
    if (options.signal?.aborted && !(typed instanceof AbortedError)) throw new AbortedError(`restore aborted; nothing of it was kept`, { cause: typed });
    throw typed;
  }
}

/** Removes what the run made after a judged failure, and says so in the report. */
async function abandoned(swap: PreparedSwap, report: (ok: boolean) => RestoreReport): Promise<RestoreReport> {
  await swap.abandon();
  return report(false);
}

function describePerms(p: FilestorePerms): string {
  const owner = p.uid === undefined ? "owner: this user" : `owner ${p.uid}:${p.gid}`;
  return `${owner}, modes ${p.dirMode.toString(8)}/${p.fileMode.toString(8)} as ${p.source}`;
}

async function checkFiles(backup: LocatedBackup, signal?: AbortSignal): Promise<string> {
  const ours = backup.manifest?.odoo_deploy;
  if (!ours || !backup.dir) return "no checksums recorded (bare zip)";
  for (const f of ours.files) {
    const h = await hashFile(path.join(backup.dir, f.name), signal).catch(() => undefined);
    if (!h) throw new OperationFailedError(`${f.name}: missing`, { code: "BACKUP_FILE_MISSING" });
    if (h.sha256 !== f.sha256 || h.bytes !== f.bytes) throw new OperationFailedError(`${f.name}: size or sha256 differs from the manifest`, { code: "BACKUP_CHECKSUM" });
  }
  return `${ours.files.length} files match their sha256`;
}

/**
 * Writes the backup's filestore into `dest` through the entry check verify uses (CRC, sha1 names, safe names);
 * an archive that cannot be read is a judged failure, a disk that refuses the environment's.
 */
async function extractFilestore(backup: LocatedBackup, dest: string, perms: FilestorePerms, signal?: AbortSignal): Promise<{ files: number }> {
  try {
    if (backup.format === "custom") return await extractFilestoreTar(createReadStream(backup.filestoreFile!), dest, { perms, signal });
    const zip = await openZip(backup.zipFile!);
    try {
      return await extractFilestoreZip(zip, dest, { perms, signal });
    } finally {
      zip.close();
    }
  } catch (e) {
    const typed = typedFsError(e, `restoring the filestore into ${dest}`);
    if (typed !== e || e instanceof OdooDeployError || signal?.aborted) throw typed;
    throw new OperationFailedError(`the backup's filestore could not be restored: ${(e as Error).message}`, { code: "FILESTORE_RESTORE_FAILED", cause: e });
  }
}

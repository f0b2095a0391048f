/**
 * `backupDatabase`: pg_dump through any runner, streamed into a hidden work directory beside the final one
 * (with the filestore as tar, or everything in Odoo's zip), fsynced, verified, and only then renamed to its
 * final name. Any failure or abort removes the work directory: nothing half-written is ever visible.
 */
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import { AbortedError, OperationFailedError, throwIfAborted, UsageError } from "../errors.js";
import { libpqEnv, parseDbUrl } from "../db/connection.js";
import { durationSince, type Check, type EventHandler } from "../report.js";
import { StepRecorder } from "../steps.js";
import { createLocalRunner } from "../runner/local.js";
import type { CommandRunner, RunningCommand } from "../runner/types.js";
import { redactUrl } from "../util/redact.js";
import { claimBackupName, compactTimestamp, fsyncPath, fsyncTree, hashFile, HashMeter, publishDir, removeQuietly, sink, Tee, typedFsError } from "./files.js";
import { listFilestore, packFilestore, readFilestoreTar } from "./filestore.js";
import { DUMP_FILE, FILESTORE_FILE, isPlainFileName, MANIFEST_FILE, writeManifest, type LocatedBackup } from "./manifest.js";
import { assertPgDumpFits, errorLine, pgToolVersion, toolFailure } from "./pg-tools.js";
import { odooManifestFields, openDumpSnapshot, tableKey } from "./snapshot.js";
import type { BackupEvent, BackupFileEntry, BackupFormat, BackupManifest, BackupReport, VerifyLevel } from "./types.js";
import { verifyLocated } from "./verify.js";
import { ZIP_DUMP, ZIP_FILESTORE_PREFIX, ZIP_MANIFEST } from "./zip.js";

/** Options of {@link backupDatabase}. */
export interface BackupDatabaseOptions {
  /** PostgreSQL URL of the database to back up, as seen from here (for the manifest) and from the runner (pg_dump). */
  dbUrl: string;
  /** Local directory the backup is published in (as `<db>_<timestamp>/`). */
  directory: string;
  /** Default `custom`. */
  format?: BackupFormat;
  /** The database's filestore (`<data_dir>/filestore/<db>`), archived beside the dump when given. */
  filestoreDir?: string;
  /**
   * Where `filestoreDir` is, when not on this host (e.g. the Odoo host over SSH): `tar` runs there and its
   * output streams into the backup. Custom format only.
   */
  filestoreRunner?: CommandRunner;
  /** Where pg_dump runs (default local). */
  runner?: CommandRunner;
  /** pg_dump binary on the runner (default `pg_dump`). */
  pgDump?: string;
  /** Local pg_restore used to read the archive back (default `pg_restore`). */
  pgRestore?: string;
  /** Verify before publishing (default `basic`; `false` skips it, the backup is then recorded unverified). */
  verify?: VerifyLevel | false;
  /** Exact row counts of every table in the dump's snapshot (implied by `verify: "restore"`). */
  rowCounts?: boolean;
  /** Server for the scratch restore of `verify: "restore"` (default: the server of `dbUrl`). */
  scratchDbUrl?: string;
  /** Free-form deploy metadata recorded in the manifest (git revision, image, …). */
  metadata?: Record<string, string>;
  /**
   * Final directory name (default `<db>_<timestamp>`, UTC to the second, with `-2`, `-3`… when taken). A name given
   * here that is taken is refused (BACKUP_EXISTS): nothing is overwritten.
   */
  name?: string;
  progressIntervalMs?: number;
  signal?: AbortSignal;
  onEvent?: EventHandler<BackupEvent>;
}

/**
 * Backs up an Odoo database (and its filestore) and publishes it only once written, fsynced and verified.
 * Throws a typed error when the dump cannot be taken (pg_dump's stderr in `details.stderr`); returns
 * `ok: false` without publishing when verification fails.
 *
 * @example
 * const r = await backupDatabase({ dbUrl: "postgres:///odoo_prod?host=/run/postgresql", directory: "/var/backups/odoo",
 *   filestoreDir: "/var/lib/odoo/filestore/odoo_prod", verify: "basic" });
 * console.log(r.path); // /var/backups/odoo/odoo_prod_20261127T093512Z
 */
export async function backupDatabase(options: BackupDatabaseOptions): Promise<BackupReport> {
  const start = performance.now();
  const format = options.format ?? "custom";
  if (format !== "custom" && format !== "zip") throw new UsageError(`unknown backup format: ${String(format)} (custom or zip)`);
  const verify = options.verify ?? "basic";
  const wantCounts = options.rowCounts === true || verify === "restore";
  const dbName = parseDbUrl(options.dbUrl).database;
  if (!dbName) throw new UsageError(`the database URL names no database: ${redactUrl(options.dbUrl)}`, { code: "BAD_DB_URL" });
  throwIfAborted(options.signal);
  const directory = path.resolve(options.directory);
  await ensureDirectory(directory);
  const runner = options.runner ?? createLocalRunner();
  const pgDump = options.pgDump ?? "pg_dump";
  const emit = (e: BackupEvent) => options.onEvent?.(e);
  const recorder = new StepRecorder("backup", { onEvent: emit, signal: options.signal });
  const steps = recorder.steps;
  const step = recorder.must.bind(recorder);
  const progress = (phase: "dump" | "filestore") => (bytes: number, rate: number) => emit({ type: "backup:progress", phase, bytes, rate });

  // Preflight: the tool and the server, before anything is written.
  const tool = await step("pg-dump-version", () => pgToolVersion(runner, pgDump, options.signal), (v) => `pg_dump ${v.version} on ${runner.description}`);
  const snap = await step("snapshot", () => openDumpSnapshot(options.dbUrl, options.signal), (s) => `PostgreSQL ${s.serverVersion}, ${s.tables.length} tables, snapshot ${s.snapshotId}`);
  let workDir: string | undefined;
  try {
    assertPgDumpFits(tool, snap.serverVersionNum, runner.description);
    emit({ type: "backup:started", database: snap.database, format, pgDumpVersion: tool.version, serverVersion: snap.serverVersion });
    const createdAt = new Date();
    // The default name has one-second resolution: a second backup within the same second (even a concurrent one:
    // the name is claimed by creating its work directory) gets a suffix (-2, -3…). A name given explicitly is never
    // changed: taken, it is refused.
    if (options.name !== undefined && !isPlainFileName(options.name)) throw new UsageError(`invalid backup name: ${options.name}`);
    const claimed = await claimBackupName(directory, options.name ?? `${snap.database}_${compactTimestamp(createdAt)}`, options.name !== undefined);
    const finalName = claimed.name;
    const finalPath = path.join(directory, finalName);
    workDir = claimed.workDir;
    const counting = wantCounts ? snap.countRows(options.signal) : undefined;
    // A rejected count must not go unhandled while the dump runs.
    counting?.catch(() => {});

    const baseManifest = (files: BackupFileEntry[], dump: { command: string; durationMs: number }, filestore?: { fileCount: number; bytes: number }, rowCounts?: Record<string, number>): BackupManifest => ({
      ...odooManifestFields(snap.database, snap.serverVersionNum, snap.modules),
      odoo_deploy: {
        formatVersion: 1,
        format,
        createdAt: createdAt.toISOString(),
        database: snap.database,
        pgDumpVersion: tool.version,
        serverVersion: snap.serverVersion,
        tableCount: snap.tables.length,
        rowEstimates: Object.fromEntries(snap.tables.map((t) => [tableKey(t), Math.round(t.estimate)])),
        ...(rowCounts ? { rowCounts } : {}),
        files,
        ...(filestore ? { filestore } : {}),
        dump: { command: dump.command, exitCode: 0, durationMs: dump.durationMs, runner: runner.description },
        metadata: { ...options.metadata },
      },
    });

    const remoteFilestore = options.filestoreDir && options.filestoreRunner ? { runner: options.filestoreRunner, dir: options.filestoreDir } : undefined;
    if (remoteFilestore && format === "zip") {
      throw new UsageError("a filestore on another host is archived in the custom format only (use --format custom)", { code: "REMOTE_FILESTORE_ZIP" });
    }
    const filestoreFiles = options.filestoreDir && !remoteFilestore ? await listFilestore(options.filestoreDir) : undefined;
    let filestoreStats = filestoreFiles ? { fileCount: filestoreFiles.length, bytes: filestoreFiles.reduce((s, f) => s + f.bytes, 0) } : undefined;
    let manifest: BackupManifest;
    let located: LocatedBackup;
    let archiveRead: Check | undefined;
    let bytes = 0;

    if (format === "custom") {
      const dumpPath = path.join(workDir, DUMP_FILE);
      const argv = [pgDump, "--format=custom", "--no-password", `--snapshot=${snap.snapshotId}`];
      // The in-flight reader: a full read of the archive while it is written, on the other core.
      const reader = verify ? createLocalRunner().spawn([options.pgRestore ?? "pg_restore", "--file=/dev/null"], { stdin: true, signal: options.signal }) : undefined;
      const dumped = await step("dump", () => runDump(runner, argv, options.dbUrl, dumpPath, options, progress("dump"), reader), (d) => `${d.bytes} bytes`);
      bytes += dumped.bytes;
      if (reader) {
        const r = await reader.result;
        archiveRead = {
          name: "archive-read",
          status: r.exitCode === 0 ? "ok" : "failed",
          detail: r.exitCode === 0 ? "pg_restore read every entry while the dump was written" : `pg_restore could not read the archive: ${errorLine(r.stderr)}`,
          durationMs: dumped.durationMs,
        };
      }
      const files: BackupFileEntry[] = [{ name: DUMP_FILE, bytes: dumped.bytes, sha256: dumped.sha256 }];
      if (filestoreFiles) {
        const tarPath = path.join(workDir, FILESTORE_FILE);
        const fs = await step("filestore", async () => {
          const meter = new HashMeter(progress("filestore"), options.progressIntervalMs);
          await pipeline(packFilestore(filestoreFiles, options.signal), meter, createWriteStream(tarPath, { mode: 0o600, flags: "wx" }), { signal: options.signal });
          await fsyncPath(tarPath);
          return { bytes: meter.bytes, sha256: meter.sha256 };
        }, (f) => `${filestoreFiles.length} files, ${f.bytes} bytes of tar`);
        files.push({ name: FILESTORE_FILE, ...fs });
        bytes += fs.bytes;
      } else if (remoteFilestore) {
        const tarPath = path.join(workDir, FILESTORE_FILE);
        const fs = await step("filestore", () => archiveRemoteFilestore(remoteFilestore.runner, remoteFilestore.dir, tarPath, options, progress("filestore")), (f) => `${f.fileCount} files on ${remoteFilestore.runner.description}, ${f.bytes} bytes of tar`);
        files.push({ name: FILESTORE_FILE, bytes: fs.bytes, sha256: fs.sha256 });
        filestoreStats = { fileCount: fs.fileCount, bytes: fs.contentBytes };
        bytes += fs.bytes;
      }
      const rowCounts = counting ? await step("row-counts", () => counting, (c) => `${Object.keys(c).length} tables counted in the dump's snapshot`) : undefined;
      manifest = baseManifest(files, dumped, filestoreStats, rowCounts);
      located = { path: workDir, dir: workDir, format, manifest, dumpFile: dumpPath, ...(filestoreStats ? { filestoreFile: path.join(workDir, FILESTORE_FILE) } : {}) };
    } else {
      const zipName = `${finalName}.zip`;
      const zipPath = path.join(workDir, zipName);
      const argv = [pgDump, "--format=plain", "--no-owner", "--no-password", `--snapshot=${snap.snapshotId}`];
      const written = await step("dump", async () => {
        const t0 = performance.now();
        const zip = new yazl.ZipFile();
        const out = new HashMeter();
        const writing = pipeline(zip.outputStream, out, createWriteStream(zipPath, { mode: 0o600, flags: "wx" }), { signal: options.signal });
        writing.catch(() => {});
        const cmd = runner.spawn(argv, { env: libpqEnv(options.dbUrl), signal: options.signal });
        const sqlMeter = new HashMeter(progress("dump"), options.progressIntervalMs);
        // yazl pulls from the stream it is given (with backpressure); errors of the source end the meter.
        cmd.stdout.on("error", (e) => sqlMeter.destroy(e));
        zip.addReadStream(cmd.stdout.pipe(sqlMeter), ZIP_DUMP, { mtime: createdAt, mode: 0o600 });
        for (const f of filestoreFiles ?? []) zip.addFile(f.absPath, `${ZIP_FILESTORE_PREFIX}${f.name}`, { mtime: f.mtime, mode: 0o600, compress: false });
        const result = await raceResult(cmd, writing);
        if (result.exitCode !== 0 || result.canceled) {
          cmd.kill();
          // Stop the zip writer too: its file is removed with the work directory.
          (zip.outputStream as Readable).destroy();
          if (options.signal?.aborted || result.canceled) throw new AbortedError("backup aborted");
          throw toolFailure("pg_dump", result, options.dbUrl, `dumping ${snap.database}`);
        }
        await new Promise<void>((res) => (sqlMeter.writableFinished ? res() : sqlMeter.once("finish", () => res())));
        const rowCounts = counting ? await counting : undefined;
        const inner = baseManifest([{ name: ZIP_DUMP, bytes: sqlMeter.bytes, sha256: sqlMeter.sha256 }], { command: result.command, durationMs: durationSince(t0) }, filestoreStats, rowCounts);
        zip.addBuffer(Buffer.from(JSON.stringify(inner, null, 4)), ZIP_MANIFEST, { mtime: createdAt, mode: 0o600 });
        zip.end();
        await writing;
        await fsyncPath(zipPath);
        return { inner, bytes: out.bytes, sha256: out.sha256, durationMs: durationSince(t0) };
      }, (w) => `${w.bytes} bytes of zip`);
      bytes = written.bytes;
      manifest = { ...written.inner, odoo_deploy: { ...written.inner.odoo_deploy!, files: [{ name: zipName, bytes: written.bytes, sha256: written.sha256 }] } };
      located = { path: workDir, dir: workDir, format, manifest, zipFile: zipPath };
    }

    await writeFile(path.join(workDir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    let verification: BackupReport["verification"];
    if (verify) {
      verification = await verifyLocated(
        located,
        {
          level: verify,
          dbUrl: options.scratchDbUrl ?? options.dbUrl,
          // The scratch restore runs where pg_dump ran: that side reaches the server.
          runner,
          pgRestore: options.pgRestore,
          progressIntervalMs: options.progressIntervalMs,
          signal: options.signal,
          onEvent: options.onEvent,
        },
        { archiveRead },
      );
      verification.path = finalPath;
      recorder.record({ name: "verify", status: verification.ok ? "ok" : "failed", detail: `level ${verify}${verification.ok ? "" : `: ${verification.checks.filter((c) => c.status === "failed").map((c) => `${c.name}: ${c.detail ?? "failed"}`).join("; ")}`}`, durationMs: verification.durationMs });
      if (!verification.ok) {
        await removeQuietly(workDir);
        workDir = undefined;
        return { ok: false, durationMs: durationSince(start), format, database: snap.database, bytes, manifest, steps, verification };
      }
      manifest.odoo_deploy!.verification = { level: verify, ok: true, at: new Date().toISOString(), checks: verification.checks };
      await writeManifest(located.dir!, manifest);
    }
    throwIfAborted(options.signal);
    await step("publish", async () => {
      await fsyncTree(workDir!);
      await publishDir(workDir!, finalPath);
      workDir = undefined;
    }, () => finalPath);
    emit({ type: "backup:published", path: finalPath });
    return { ok: true, durationMs: durationSince(start), path: finalPath, format, database: snap.database, bytes, manifest, steps, ...(verification ? { verification } : {}) };
  } catch (e) {
    await removeQuietly(workDir);
    if (options.signal?.aborted && !(e instanceof AbortedError)) throw new AbortedError("backup aborted; nothing was published", { cause: e });
    // A step judged failed (pg_dump or tar failed, bytes on disk differ): nothing was published, the report says which step.
    if (recorder.judged(e)) return { ok: false, durationMs: durationSince(start), format, database: snap.database, bytes: 0, steps, ...(recorder.failure ? { failure: recorder.failure } : {}) };
    // A full disk, a read-only or refusing directory: the environment's (exit 3); nothing was published.
    throw typedFsError(e, `writing the backup into ${directory} (nothing was published)`);
  } finally {
    await snap.close();
  }
}

/** Streams `tar -C dir -cf - .` from a runner into `file` (0600) and reads the result back for its counts. */
async function archiveRemoteFilestore(
  runner: CommandRunner,
  dir: string,
  file: string,
  options: BackupDatabaseOptions,
  onProgress: (bytes: number, rate: number) => void,
): Promise<{ bytes: number; sha256: string; fileCount: number; contentBytes: number }> {
  // --hard-dereference: a file linked twice in the tree is archived as a file both times (restore takes files only).
  const cmd = runner.spawn(["tar", "--hard-dereference", "-C", dir, "-cf", "-", "."], { signal: options.signal });
  const meter = new HashMeter(onProgress, options.progressIntervalMs);
  const writing = pipeline(cmd.stdout, meter, createWriteStream(file, { mode: 0o600, flags: "wx" }), { signal: options.signal });
  writing.catch(() => {});
  const result = await raceResult(cmd, writing);
  if (result.exitCode !== 0 || result.canceled) {
    if (options.signal?.aborted || result.canceled) throw new AbortedError("backup aborted; nothing was published");
    throw toolFailure("tar", result, undefined, `archiving the filestore ${dir} on ${runner.description}`);
  }
  await writing;
  await fsyncPath(file);
  const contents = await readFilestoreTar(createReadStream(file), options.signal);
  return { bytes: meter.bytes, sha256: meter.sha256, fileCount: contents.files.size, contentBytes: contents.bytes };
}

/** Runs pg_dump (custom format) streaming its stdout to `file` (0600), hashing and optionally teeing it. */
async function runDump(
  runner: CommandRunner,
  argv: string[],
  dbUrl: string,
  file: string,
  options: BackupDatabaseOptions,
  onProgress: (bytes: number, rate: number) => void,
  reader: RunningCommand | undefined,
): Promise<{ bytes: number; sha256: string; command: string; durationMs: number }> {
  const t0 = performance.now();
  const cmd = runner.spawn(argv, { env: libpqEnv(dbUrl), signal: options.signal });
  const meter = new HashMeter(onProgress, options.progressIntervalMs);
  const stages = reader ? [meter, new Tee(reader.stdin)] : [meter];
  if (reader) void pipeline(reader.stdout, sink()).catch(() => {});
  const writing = pipeline([cmd.stdout, ...stages, createWriteStream(file, { mode: 0o600, flags: "wx" })], { signal: options.signal });
  writing.catch(() => {});
  const result = await raceResult(cmd, writing);
  if (result.exitCode !== 0 || result.canceled) {
    reader?.kill();
    if (options.signal?.aborted || result.canceled) throw new AbortedError("backup aborted; nothing was published");
    throw toolFailure("pg_dump", result, dbUrl, `dumping ${parseDbUrl(dbUrl).database ?? ""}`);
  }
  await writing;
  await fsyncPath(file);
  // The bytes on disk must be the bytes that streamed past (and that the reader read).
  const onDisk = await hashFile(file, options.signal);
  if (onDisk.sha256 !== meter.sha256 || onDisk.bytes !== meter.bytes) {
    throw new OperationFailedError(`${file}: bytes on disk differ from what pg_dump produced`, { code: "BACKUP_WRITE_MISMATCH" });
  }
  return { bytes: meter.bytes, sha256: meter.sha256, command: result.command, durationMs: durationSince(t0) };
}

/**
 * Waits for the command's result; when the writing pipeline fails first (disk full, abort), kills the
 * command and then waits for its result.
 */
async function raceResult(cmd: RunningCommand, writing: Promise<void>) {
  const failed = writing.then(
    () => undefined,
    (e: unknown) => e,
  );
  const first = await Promise.race([cmd.result.then((r) => ({ r })), failed.then((e) => ({ e }))]);
  if ("e" in first && first.e !== undefined) {
    // The write failed (a full disk, an abort): that is the cause, not the tool's exit after being killed. Its
    // output is no longer read (the zip writer is gone): dropped, or the process's end would wait for a reader.
    cmd.stdout.destroy();
    cmd.kill();
    await cmd.result;
    throw first.e;
  }
  return "r" in first ? first.r : await cmd.result;
}

/**
 * Makes the backup directory (and its parents); refuses a path that is a file (a usage error) and reports a
 * directory that cannot be made (read-only, permission denied) as the environment's.
 */
async function ensureDirectory(directory: string): Promise<void> {
  const st = await stat(directory).catch(() => undefined);
  if (st && !st.isDirectory()) throw new UsageError(`the backup directory ${directory} is a file, not a directory`, { code: "BACKUP_DIR_NOT_A_DIRECTORY" });
  if (!st) {
    await mkdir(directory, { recursive: true }).catch((e: unknown) => {
      throw typedFsError((e as NodeJS.ErrnoException).code === "EEXIST" ? Object.assign(e as Error, { code: "ENOTDIR" }) : e, `making the backup directory ${directory}`);
    });
  }
}

// (Over 300 lines: the four kinds of backup are told apart and restored through the same filter pipeline; the
// identification and the restore share each kind's reader.)
/**
 * A backup as the source of a staging copy (issue 19): identified from a path, then restored into an empty
 * database THROUGH the stream filter — `pg_restore -f -` (or the zip's `dump.sql`) → anonymizeStream → `psql` —
 * so that no unmasked row reaches the staging server, neither in a table nor in a temporary file.
 */
import {
  AbortedError,
  conninfoDatabase,
  createLocalRunner,
  durationSince,
  extractFilestoreTar,
  extractFilestoreZip,
  libpqEnv,
  listBackups,
  locateBackup,
  OperationFailedError,
  openZip,
  parseDbUrl,
  readZipManifest,
  redactText,
  StepRecorder,
  throwIfAborted,
  toolFailure,
  UsageError,
  withClient,
  ZIP_DUMP,
  ZIP_FILESTORE_PREFIX,
  type BackupManifest,
  type ExecResult,
  type OpenZip,
  type RunningCommand,
} from "@odoo-deploy/core";
import { createReadStream } from "node:fs";
import { open, rm, stat } from "node:fs/promises";
import path from "node:path";
import { Writable, type Readable } from "node:stream";
import { scanWhere, volatileNames } from "../check/where.js";
import type { Rules } from "../rules/load.js";
import { resolveRulesSource } from "../rules/source.js";
import { anonymizeStream, type AnonymizeStreamReport, type StreamEvent } from "../stream/filter.js";
import type { RefreshEvent, ResolvedBackup, RestoreAnonymizedOptions, RestoreAnonymizedReport } from "./types.js";

/** The first bytes of a `pg_dump -Fc` archive, and of a zip's local file header. */
const PGDMP = Buffer.from("PGDMP");
const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

/** Options of {@link resolveBackupSource}. */
export interface ResolveBackupOptions {
  signal?: AbortSignal;
}

/**
 * Identifies a backup from a path: an odoo-deploy backup directory (`manifest.json` + `database.dump` +
 * `filestore.tar`, or its zip), a bare `pg_dump -Fc` file (by its `PGDMP` magic), an Odoo zip (`dump.sql`,
 * `manifest.json`, `filestore/`), or a directory of odoo-deploy backups, of which the newest verified one is
 * taken. Anything else is a UsageError saying what was found where. The manifest's values are reported, never
 * used as paths (the data files' names are core's constants, or plain names checked by locateBackup) nor as
 * connection parameters.
 *
 * @example
 * const b = await resolveBackupSource("/var/backups/odoo"); // the newest verified backup in it
 * console.log(b.kind, b.dumpFile, b.createdAt);
 */
export async function resolveBackupSource(p: string, options: ResolveBackupOptions = {}): Promise<ResolvedBackup> {
  throwIfAborted(options.signal);
  const given = path.resolve(p);
  const st = await stat(given).catch(() => undefined);
  if (!st) throw new UsageError(`backup not found: ${p}`, { code: "BACKUP_NOT_FOUND" });
  if (st.isFile()) return resolveFile(given, p);
  if (!st.isDirectory()) throw new UsageError(`not a backup: ${p} is neither a file nor a directory`, { code: "NOT_A_BACKUP" });
  const hasManifest = await stat(path.join(given, "manifest.json")).then((s) => s.isFile(), () => false);
  if (hasManifest) return resolveBackupDir(given);
  // A directory of backups: the newest one whose last verification passed.
  const list = await listBackups({ directory: given, ...(options.signal ? { signal: options.signal } : {}) });
  const verified = list.backups.filter((b) => b.ours && b.verified?.ok === true);
  const newest = verified[0];
  if (!newest) {
    const unverified = list.backups.length - verified.length;
    const why = list.backups.length === 0
      ? `it holds no backup${list.unreadable.length ? ` (${list.unreadable.length} unreadable: ${list.unreadable.map((u) => u.name).join(", ")})` : ""}`
      : `none of its ${list.backups.length} backup(s) is a verified odoo-deploy backup (${unverified} not verified or failed verification; verify one with \`odoo-deploy backup verify\`, or give the backup's path)`;
    throw new UsageError(`no verified backup in ${given}: ${why}`, { code: "NO_VERIFIED_BACKUP" });
  }
  const chosen = await resolveBackupDir(newest.path);
  return chosen;
}

async function resolveBackupDir(dir: string): Promise<ResolvedBackup> {
  const located = await locateBackup(dir);
  const m = located.manifest;
  const ours = m?.odoo_deploy;
  const info = manifestInfo(m);
  const verified = ours?.verification?.ok === true;
  if (located.format === "custom") {
    const dumpFile = located.dumpFile!;
    const magic = await readMagic(dumpFile);
    if (!magic) throw new UsageError(`not a backup: ${dir} has no readable ${path.basename(dumpFile)}`, { code: "NOT_A_BACKUP" });
    if (!magic.subarray(0, PGDMP.length).equals(PGDMP)) {
      throw new UsageError(`not a backup: ${dumpFile} is not a pg_dump custom-format archive (it does not start with PGDMP)`, { code: "NOT_A_BACKUP" });
    }
    return {
      path: dir,
      kind: "odoo-deploy",
      format: "custom",
      dumpFile,
      ...(located.filestoreFile ? { filestore: { kind: "tar" as const, file: located.filestoreFile } } : {}),
      ...info,
      verified,
    };
  }
  const zip = await inspectZip(located.zipFile!, located.zipFile!);
  return { path: dir, kind: "odoo-deploy", format: "zip", dumpFile: located.zipFile!, ...(zip.filestore ? { filestore: { kind: "zip" as const, file: located.zipFile! } } : {}), ...info, verified };
}

async function resolveFile(file: string, given: string): Promise<ResolvedBackup> {
  const magic = await readMagic(file);
  if (magic?.subarray(0, PGDMP.length).equals(PGDMP)) return { path: file, kind: "custom", format: "custom", dumpFile: file, verified: false };
  if (magic?.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC)) {
    const zip = await inspectZip(file, given);
    return {
      path: file,
      kind: "zip",
      format: "zip",
      dumpFile: file,
      ...(zip.filestore ? { filestore: { kind: "zip" as const, file } } : {}),
      ...manifestInfo(zip.manifest),
      verified: false,
    };
  }
  const seen = magic && magic.length ? `it starts with ${JSON.stringify(magic.subarray(0, 8).toString("latin1"))}` : "it is empty";
  throw new UsageError(
    `not a backup: ${given} is neither a pg_dump custom-format file (PGDMP), an Odoo backup zip, nor a backup directory (${seen})`,
    { code: "NOT_A_BACKUP" },
  );
}

/** Checks an Odoo zip: readable, with a `dump.sql`; reads its manifest when it has one. */
async function inspectZip(file: string, given: string): Promise<{ manifest?: BackupManifest; filestore: boolean }> {
  let zip: OpenZip;
  try {
    zip = await openZip(file);
  } catch (e) {
    throw new UsageError(`not a backup: ${given} is a damaged zip (${(e as Error).message})`, { code: "NOT_A_BACKUP", cause: e });
  }
  try {
    if (!zip.find(ZIP_DUMP)) throw new UsageError(`not an Odoo backup: the zip ${given} holds no ${ZIP_DUMP}`, { code: "NOT_A_BACKUP" });
    let manifest: BackupManifest | undefined;
    try {
      manifest = await readZipManifest(zip);
    } catch (e) {
      throw new UsageError(`not an Odoo backup: the manifest.json of ${given} is unreadable (${(e as Error).message})`, { code: "NOT_A_BACKUP", cause: e });
    }
    return { ...(manifest ? { manifest } : {}), filestore: zip.entries.some((e) => e.fileName.startsWith(ZIP_FILESTORE_PREFIX) && !e.fileName.endsWith("/")) };
  } finally {
    zip.close();
  }
}

/** What a manifest says, as plain strings (it is whoever made the backup's word: reported, never used). */
function manifestInfo(m: BackupManifest | undefined): { database?: string; createdAt?: string } {
  const database = m?.odoo_deploy?.database ?? m?.db_name;
  const createdAt = m?.odoo_deploy?.createdAt;
  return { ...(typeof database === "string" && database ? { database } : {}), ...(typeof createdAt === "string" ? { createdAt } : {}) };
}

async function readMagic(file: string): Promise<Buffer | undefined> {
  const fh = await open(file, "r").catch(() => undefined);
  if (!fh) return undefined;
  try {
    const buf = Buffer.alloc(16);
    const { bytesRead } = await fh.read(buf, 0, 16, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Restoring through the filter

/**
 * Restores a backup into an existing, empty database through the anonymizer: the custom-format archive becomes
 * plain SQL (`pg_restore -f -`, or the zip's `dump.sql` read from the zip), streams through anonymizeStream
 * (coverage checked fail-closed per table before its rows pass) and into `psql -X -1 -v ON_ERROR_STOP=1`. All of
 * it in one transaction, committed only once the archive was read whole and the filter passed it all: a refused
 * column, a damaged archive or a failed statement kills psql before its input ends, so the target keeps no row
 * (it stays empty, droppable). Nothing of the backup is written to disk on the way. With `filestoreDir`, the
 * backup's filestore is extracted there (sha1-checked) as the source of the `public`/`all` filestore policies.
 *
 * Judged failures (a column no rule covers, pg_restore or psql refusing, a damaged filestore) are `ok: false`
 * with `failure`; usage, environment and abort errors throw.
 *
 * @example
 * const r = await restoreAnonymizedBackup({ backup: "/var/backups/odoo", targetUrl, preset: "odoo", secret });
 * if (!r.ok) console.error(r.failure?.message);
 */
export async function restoreAnonymizedBackup(options: RestoreAnonymizedOptions): Promise<RestoreAnonymizedReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  const rules = resolveRulesSource(options);
  const backup = typeof options.backup === "string" ? await resolveBackupSource(options.backup, { ...(options.signal ? { signal: options.signal } : {}) }) : options.backup;
  const onEvent = options.onEvent ?? (() => {});
  const steps = new StepRecorder("refresh", { onEvent, ...(options.signal ? { signal: options.signal } : {}) });
  let stream: AnonymizeStreamReport | undefined;
  let filestore: RestoreAnonymizedReport["filestore"];
  const report = (): RestoreAnonymizedReport => ({
    ok: steps.ok,
    durationMs: durationSince(start),
    steps: steps.steps,
    backup,
    ...(stream ? { stream } : {}),
    rows: stream?.rows ?? 0,
    bytes: stream?.bytesIn ?? 0,
    ...(filestore ? { filestore } : {}),
    ...(steps.failure ? { failure: steps.failure } : {}),
  });
  try {
    await steps.must("target", () => preflight(options.targetUrl, rules, options.signal), (d) => d);
    stream = await steps.must("restore", () => restoreThroughFilter(backup, rules, options, onEvent), (s) => `${s.rows} rows of ${s.tables.length} table(s) anonymized, ${s.bytesIn} bytes of SQL`);
    if (options.filestoreDir) {
      const dir = options.filestoreDir;
      filestore = await steps.must("filestore", () => extractFilestore(backup, dir, options.signal), (f) => `${f.files} file(s), ${f.bytes} bytes into ${f.dir}`);
    }
  } catch (e) {
    if (!steps.judged(e)) throw e;
  }
  return report();
}

/**
 * The target is reachable and holds no table of its own (a restore into a used database would mix data); the
 * rules' `where`s call nothing volatile (checked against the target server's catalog: the DELETEs run there).
 */
async function preflight(targetUrl: string, rules: Rules, signal?: AbortSignal): Promise<string> {
  return withClient(
    targetUrl,
    async (c) => {
      const r = await c.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`,
      );
      const n = r.rows[0]!.n;
      if (n > 0) throw new UsageError(`the target database is not empty (${n} relation(s)): restoreAnonymizedBackup fills a new, empty database`, { code: "TARGET_NOT_EMPTY" });
      for (const e of rules.tables) {
        const where = e.rule.where;
        if (!where) continue;
        const scan = scanWhere(where);
        if ("error" in scan) throw new UsageError(`tables.${e.pattern}: where ${JSON.stringify(where)} is refused: ${scan.error}`, { code: "WHERE_REFUSED" });
        const bad = await volatileNames(c, scan);
        if (bad.length) throw new UsageError(`tables.${e.pattern}: where ${JSON.stringify(where)} is refused: it calls ${bad.join(", ")}, which PostgreSQL marks volatile`, { code: "WHERE_REFUSED" });
      }
      return "empty";
    },
    { ...(signal ? { signal } : {}), applicationName: "odoo-deploy restore-anonymized" },
  );
}

/** A backup's plain SQL, streaming: pg_restore's output for a custom-format archive, the zip's `dump.sql` otherwise. */
export interface SqlSource {
  stream: Readable;
  /** Settles once the source delivered everything (pg_restore exited 0); rejects with its typed failure. */
  done: Promise<void>;
  /** pg_restore, for its final result; undefined for a zip (its entry's CRC is judged by the stream itself). */
  pgRestore?: RunningCommand;
  close(): void;
  format: "custom" | "zip";
}

/**
 * Opens a backup's SQL. The format is read from the file's first bytes (a ResolvedBackup may be the caller's own).
 * `signal` kills pg_restore.
 */
export async function openSqlSource(backup: ResolvedBackup, signal: AbortSignal, pgRestoreBin = "pg_restore"): Promise<SqlSource> {
  const magic = await readMagic(backup.dumpFile);
  if (magic?.subarray(0, ZIP_MAGIC.length).equals(ZIP_MAGIC)) {
    const zip = await openZip(backup.dumpFile).catch((e: unknown) => {
      throw new UsageError(`not a backup: ${backup.dumpFile} is a damaged zip (${(e as Error).message})`, { code: "NOT_A_BACKUP" });
    });
    const entry = zip.find(ZIP_DUMP);
    if (!entry) {
      zip.close();
      throw new UsageError(`not an Odoo backup: the zip ${backup.dumpFile} holds no ${ZIP_DUMP}`, { code: "NOT_A_BACKUP" });
    }
    // The CRC is judged at the entry's end, as an error of the stream itself: the filter's pipeline sees it.
    return { stream: await zip.open(entry), done: Promise.resolve(), close: () => zip.close(), format: "zip" };
  }
  if (!magic?.subarray(0, PGDMP.length).equals(PGDMP)) {
    throw new UsageError(`not a backup: ${backup.dumpFile} is neither a pg_dump custom-format file nor a zip`, { code: "NOT_A_BACKUP" });
  }
  // The archive is read by path (seekable: pg_restore needs its offsets); the path is the caller's, made absolute
  // so that it cannot read as an option. No subscription is restored: it would connect to production's publisher.
  const argv = [pgRestoreBin, "--no-owner", "--no-privileges", "--no-subscriptions", "-f", "-", path.resolve(backup.dumpFile)];
  const cmd = createLocalRunner().spawn(argv, { signal });
  const done = cmd.result.then((r) => {
    if (r.canceled) throw new AbortedError("pg_restore aborted");
    if (r.exitCode !== 0) throw toolFailure("pg_restore", r, undefined, `reading ${backup.dumpFile}`);
  });
  done.catch(() => {});
  return { stream: cmd.stdout, done, pgRestore: cmd, close: () => {}, format: "custom" };
}

/** The filter's events as the refresh's. */
export function refreshStreamEvents(onEvent: (e: RefreshEvent) => void): (e: StreamEvent) => void {
  return (e) => {
    if (e.type === "anonymize:progress") onEvent({ type: "refresh:progress", phase: "copy", done: e.rows, unit: "rows", table: e.table, perSec: e.rowsPerSec });
    else if (e.type === "anonymize:random-key") onEvent({ type: "refresh:warning", message: "no secret given: the fakes are keyed by a random key of this run (they differ from run to run)" });
  };
}

/** Runs the pipeline: source SQL → filter → psql (one transaction, committed only when everything passed). */
async function restoreThroughFilter(backup: ResolvedBackup, rules: Rules, o: RestoreAnonymizedOptions, onEvent: (e: RefreshEvent) => void): Promise<AnonymizeStreamReport> {
  const dbName = parseDbUrl(o.targetUrl).database;
  if (!dbName) throw new UsageError("the target URL names no database", { code: "USAGE" });
  // One controller ends both tools: whichever side fails, neither may go on (psql above all must not commit).
  const kill = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, kill.signal]) : kill.signal;
  const source = await openSqlSource(backup, signal, o.pgRestore);
  const psqlArgv = [o.psql ?? "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "--no-password", `--dbname=${conninfoDatabase(dbName)}`, "-f", "-"];
  const psql = createLocalRunner().spawn(psqlArgv, { env: { ...libpqEnv(o.targetUrl), PGDATABASE: dbName }, stdin: true, signal });
  const draining = (async () => {
    for await (const _ of psql.stdout) void _;
  })().catch(() => {});
  const into = new PsqlInput(psql, source.done, () => kill.abort());
  let report: AnonymizeStreamReport | undefined;
  let filterError: unknown;
  try {
    report = await anonymizeStream({
      input: source.stream,
      output: into,
      rules,
      ...(o.secret ? { secret: o.secret } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
      onEvent: refreshStreamEvents(onEvent),
    });
  } catch (e) {
    filterError = e;
    // psql must see no end of input: killed, its transaction is rolled back by the server.
    kill.abort();
  } finally {
    source.close();
  }
  const psqlResult = await psql.result;
  await draining;
  const restoreResult = source.pgRestore ? await source.pgRestore.result : undefined;
  if (o.signal?.aborted) throw new AbortedError("restore aborted", { cause: o.signal.reason });
  // The first cause wins: a tool that failed on its own explains why the filter's stream broke.
  if (restoreResult && restoreResult.exitCode !== 0 && !restoreResult.canceled) throw toolFailure("pg_restore", restoreResult, undefined, `reading ${backup.dumpFile}`);
  if (!psqlResult.canceled && psqlResult.exitCode !== 0) throw psqlFailure(psqlResult, o.targetUrl);
  if (filterError !== undefined) throw filterError;
  if (psqlResult.canceled || psqlResult.exitCode !== 0) throw new OperationFailedError("psql was stopped before the restore was committed", { code: "PSQL_FAILED" });
  return report!;
}

function psqlFailure(r: ExecResult, url: string): Error {
  const e = toolFailure("psql", r, url, "restoring the anonymized dump");
  if (e instanceof OperationFailedError) {
    // psql echoes the failing statement's context, which may hold values: only its error lines are kept.
    const lines = redactText(r.stderr).split("\n").filter((l) => /\b(ERROR|FATAL|error):/.test(l));
    return new OperationFailedError(e.message, { code: e.code, details: { ...e.details, stderr: lines.join("\n") } });
  }
  return e;
}

/**
 * psql's stdin, as the end of the filter's pipeline: chunks written with backpressure; the end passed on only
 * once the source has delivered everything (pg_restore exited 0), so that psql commits nothing partial. Destroyed
 * with an error (the filter refused, the source broke), it kills psql instead of ending its input.
 */
class PsqlInput extends Writable {
  constructor(
    private readonly psql: RunningCommand,
    private readonly sourceDone: Promise<void>,
    private readonly killAll: () => void,
  ) {
    super();
    // psql may exit (ON_ERROR_STOP) while being written to: its result explains it; the pipe error does not.
    psql.stdin.on("error", () => {});
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    const stdin = this.psql.stdin;
    if (stdin.destroyed || stdin.writableEnded) return cb(new OperationFailedError("psql stopped reading the restore", { code: "PSQL_FAILED" }));
    if (stdin.write(chunk)) return cb();
    const done = (e?: Error) => {
      stdin.off("drain", onDrain);
      stdin.off("close", onClose);
      cb(e);
    };
    const onDrain = () => done();
    const onClose = () => done(new OperationFailedError("psql stopped reading the restore", { code: "PSQL_FAILED" }));
    stdin.once("drain", onDrain);
    stdin.once("close", onClose);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.sourceDone.then(
      () => {
        this.psql.stdin.end();
        cb();
      },
      (e: unknown) => {
        this.killAll();
        cb(e as Error);
      },
    );
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    if (e) this.killAll();
    cb(e);
  }
}

/** Extracts the backup's filestore into `dir` (created, 0700): the tar of an odoo-deploy backup, or the zip's `filestore/`. */
async function extractFilestore(backup: ResolvedBackup, dir: string, signal?: AbortSignal): Promise<{ dir: string; files: number; bytes: number }> {
  const dest = path.resolve(dir);
  if (!backup.filestore) throw new UsageError(`${backup.path} has no filestore to extract into ${dest}`, { code: "NO_FILESTORE" });
  if (await stat(dest).then(() => true, () => false)) throw new UsageError(`${dest} exists: the backup's filestore is extracted into a new directory`, { code: "FILESTORE_EXISTS" });
  const o = signal ? { signal } : {};
  const file = backup.filestore.file;
  try {
    if (backup.filestore.kind === "tar") return { dir: dest, ...(await extractFilestoreTar(createReadStream(file), dest, o)) };
    const zip = await openZip(file);
    try {
      return { dir: dest, ...(await extractFilestoreZip(zip, dest, o)) };
    } finally {
      zip.close();
    }
  } catch (e) {
    // Created by this call (it did not exist): a half-extracted filestore is not left for a policy to read.
    await rm(dest, { recursive: true, force: true });
    throw e;
  }
}

/**
 * A backup file anonymized into another, for teams that move dumps between networks (issue 19): `odoo-deploy
 * anonymize --input prod.dump --output staging.dump`. Nothing unmasked is written on the way: a zip's `dump.sql`
 * is written as the stream filter outputs it; a custom-format archive is made by restoring through the filter
 * into a temporary database on a work server, then `pg_dump -Fc` of it.
 */
import {
  createLocalRunner,
  createTemporaryDatabase,
  durationSince,
  OperationFailedError,
  openZip,
  readZipManifest,
  removeLeftoverDatabases,
  runPgTool,
  StepRecorder,
  throwIfAborted,
  UsageError,
  ZIP_DUMP,
  ZIP_MANIFEST,
  type BackupManifest,
  type Check,
  type EventHandler,
  type ReportBase,
  type StepFailure,
} from "@odoo-deploy/core";
import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { link, open, rm, stat, unlink } from "node:fs/promises";
import path from "node:path";
import { PassThrough } from "node:stream";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import type { RulesSource } from "../rules/source.js";
import { resolveRulesSource } from "../rules/source.js";
import { anonymizeStream, type AnonymizeStreamReport } from "../stream/filter.js";
import { openSqlSource, refreshStreamEvents, resolveBackupSource, restoreAnonymizedBackup } from "./backup-source.js";
import type { RefreshEvent, ResolvedBackup } from "./types.js";

/** Options of {@link anonymizeDump}. */
export interface AnonymizeDumpOptions extends RulesSource {
  /** A backup: a custom-format dump, an Odoo zip, an odoo-deploy backup directory, or a directory of them (newest verified). */
  input: string;
  /** The file to write (it must not exist: nothing is overwritten). */
  output: string;
  /** Format of the output (default: the input's). */
  format?: "custom" | "zip";
  /**
   * Custom-format output only: any URL of a PostgreSQL server where a temporary database is made (its database
   * part is replaced), restored through the filter, dumped with pg_dump -Fc and dropped.
   */
  workUrl?: string;
  secret?: string;
  /** Local PostgreSQL client binaries (default from PATH). */
  pgRestore?: string;
  psql?: string;
  pgDump?: string;
  signal?: AbortSignal;
  onEvent?: EventHandler<RefreshEvent>;
}

/** Report of {@link anonymizeDump}. */
export interface AnonymizeDumpReport extends ReportBase {
  input: ResolvedBackup;
  /** The file written; absent when nothing was. */
  output?: string;
  format: "custom" | "zip";
  steps: Check[];
  stream?: AnonymizeStreamReport;
  rows: number;
  /** Size of the file written. */
  bytes: number;
  failure?: StepFailure;
  /** What the output does not carry (the filestore: placeholders are made by the staging refresh, not here). */
  warnings: string[];
}

/**
 * Anonymizes a backup file into a new one. Zip output: `dump.sql` is the stream filter's output (from the input
 * zip's `dump.sql`, or from `pg_restore -f -` of a custom archive), with the input zip's Odoo manifest (its
 * odoo-deploy part dropped: its checksums and row counts describe the original); the filestore is NOT copied
 * (a zip with placeholder files is the staging refresh's filestore step, not done here: said in `warnings`).
 * Custom output: restored through the filter into a temporary database on `workUrl` (see
 * restoreAnonymizedBackup: fail-closed, one transaction), dumped with `pg_dump -Fc`, dropped. Either way the
 * file is written under a temporary name beside `output` and linked into place only when complete.
 *
 * @example
 * const r = await anonymizeDump({ input: "prod.dump", output: "staging.dump", workUrl, preset: "odoo", secret });
 */
export async function anonymizeDump(options: AnonymizeDumpOptions): Promise<AnonymizeDumpReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  const rules = resolveRulesSource(options);
  const input = await resolveBackupSource(options.input, { ...(options.signal ? { signal: options.signal } : {}) });
  const inputFormat = input.format ?? "custom";
  const format = options.format ?? inputFormat;
  const output = path.resolve(options.output);
  if (await stat(output).then(() => true, () => false)) throw new UsageError(`${output} exists: anonymize writes a new file and overwrites nothing`, { code: "OUTPUT_EXISTS" });
  if (format === "custom" && !options.workUrl) {
    throw new UsageError("a custom-format output needs a work server (--work-url): the anonymized copy is restored into a temporary database there, then dumped", { code: "NO_WORK_URL" });
  }
  const onEvent = options.onEvent ?? (() => {});
  const steps = new StepRecorder("refresh", { onEvent, ...(options.signal ? { signal: options.signal } : {}) });
  const warnings: string[] = [];
  if (input.filestore) warnings.push(`the filestore of ${input.path} is not copied into ${output} (only the database is anonymized here)`);
  let stream: AnonymizeStreamReport | undefined;
  let bytes = 0;
  let written = false;
  const partial = path.join(path.dirname(output), `.${path.basename(output)}.partial-${randomBytes(4).toString("hex")}`);
  try {
    if (format === "zip") {
      stream = await steps.must("anonymize", () => writeZip(input, partial, options, rules), (s) => `${s.rows} rows of ${s.tables.length} table(s) into ${ZIP_DUMP}`);
    } else {
      stream = await customOutput(input, partial, options, steps);
    }
    bytes = await steps.must("publish", () => publish(partial, output), (b) => `${b} bytes written to ${output}`);
    written = true;
  } catch (e) {
    if (!steps.judged(e)) throw e;
  } finally {
    await rm(partial, { force: true });
  }
  return {
    ok: steps.ok,
    durationMs: durationSince(start),
    input,
    ...(written ? { output } : {}),
    format,
    steps: steps.steps,
    ...(stream ? { stream } : {}),
    rows: stream?.rows ?? 0,
    bytes,
    ...(steps.failure ? { failure: steps.failure } : {}),
    warnings,
  };
}

/** The zip: `dump.sql` straight from the filter, then the Odoo manifest; nothing else. */
async function writeZip(input: ResolvedBackup, file: string, o: AnonymizeDumpOptions, rules: ReturnType<typeof resolveRulesSource>): Promise<AnonymizeStreamReport> {
  const kill = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, kill.signal]) : kill.signal;
  const manifest = input.format === "zip" ? await odooManifest(input.dumpFile) : undefined;
  const source = await openSqlSource(input, signal, o.pgRestore);
  const zip = new yazl.ZipFile();
  const writing = pipeline(zip.outputStream, createWriteStream(file, { flags: "wx", mode: 0o600 }), { signal });
  writing.catch(() => {});
  const dump = new PassThrough();
  zip.addReadStream(dump, ZIP_DUMP, { mode: 0o100600, mtime: new Date() });
  try {
    const report = await anonymizeStream({ input: source.stream, output: dump, rules, ...(o.secret ? { secret: o.secret } : {}), signal, onEvent: refreshStreamEvents(o.onEvent ?? (() => {})) });
    await source.done;
    if (manifest) zip.addBuffer(Buffer.from(JSON.stringify(manifest, null, 4)), ZIP_MANIFEST, { mode: 0o100600, mtime: new Date() });
    zip.end();
    await writing;
    const fh = await open(file, "r");
    await fh.sync().finally(() => fh.close());
    return report;
  } catch (e) {
    kill.abort();
    (zip.outputStream as PassThrough).destroy();
    throw e;
  } finally {
    source.close();
  }
}

/** The input zip's manifest without odoo-deploy's part (its checksums and row counts are the original's). */
async function odooManifest(file: string): Promise<Omit<BackupManifest, "odoo_deploy"> | undefined> {
  const zip = await openZip(file);
  try {
    const m = await readZipManifest(zip);
    if (!m) return undefined;
    const { odoo_deploy: _ours, ...odoo } = m;
    void _ours;
    return odoo;
  } finally {
    zip.close();
  }
}

/** Custom format: through the filter into a temporary database on the work server, pg_dump -Fc of it, dropped. */
async function customOutput(input: ResolvedBackup, file: string, o: AnonymizeDumpOptions, steps: StepRecorder<"refresh">): Promise<AnonymizeStreamReport> {
  const workUrl = o.workUrl!;
  const sig = o.signal ? { signal: o.signal } : {};
  await steps.must("leftovers", () => removeLeftoverDatabases({ url: workUrl, purpose: "anonymize-dump", ...sig }), (l) => (l.removed.length ? `removed what killed runs left: ${l.removed.join(", ")}` : "none"));
  const temp = await createTemporaryDatabase({ url: workUrl, name: `odoo_deploy_anondump_${randomBytes(6).toString("hex")}`, purpose: "anonymize-dump", ...sig });
  try {
    const restored = await restoreAnonymizedBackup({
      backup: input,
      targetUrl: temp.url,
      rules: resolveRulesSource(o),
      ...(o.secret ? { secret: o.secret } : {}),
      ...(o.pgRestore ? { pgRestore: o.pgRestore } : {}),
      ...(o.psql ? { psql: o.psql } : {}),
      ...sig,
      ...(o.onEvent ? { onEvent: o.onEvent } : {}),
    });
    // Its steps are this run's (target, restore), its judged failure this run's.
    for (const s of restored.steps) steps.record(s);
    if (!restored.ok) {
      steps.failure ??= restored.failure;
      throw new OperationFailedError(restored.failure?.message ?? "the restore through the filter failed", { code: restored.failure?.code ?? "RESTORE_FAILED" });
    }
    await steps.must("dump", async () => {
      await runPgTool(createLocalRunner(), [o.pgDump ?? "pg_dump", "-Fc", "--no-password", `--file=${file}`], { dbUrl: temp.url, what: "dumping the anonymized copy", ...sig });
      const fh = await open(file, "r");
      await fh.sync().finally(() => fh.close());
      return (await stat(file)).size;
    }, (b) => `pg_dump -Fc: ${b} bytes`);
    return restored.stream!;
  } finally {
    await temp.discard();
  }
}

/** Links the complete file into place (never over another file), then drops the temporary name. */
async function publish(partial: string, output: string): Promise<number> {
  await link(partial, output).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "EEXIST") throw new UsageError(`${output} appeared while anonymizing: left as it is, nothing written`, { code: "OUTPUT_EXISTS" });
    throw e;
  });
  await unlink(partial);
  return (await stat(output)).size;
}

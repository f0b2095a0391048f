// (Over 300 lines: the steps of refreshStaging read in order in one place, with the recovery and the swap back
// that undo them; each step's work is in its own module: swap-back, retention, settings, filestore-policy, state.)
import { mkdir, rename } from "node:fs/promises";
import path from "node:path";
import {
  acquireDeployLock,
  assertDistinctDatabases,
  checkServiceHealth,
  createWorkDir,
  defaultJournalDir,
  durationSince,
  filestorePerms,
  fitDatabaseName,
  neutralizeDatabase,
  newRunId,
  notify,
  OperationFailedError,
  parseDbUrl,
  prepareSwap,
  quoteIdent,
  recoverSwaps,
  removeLeftoverWorkDirs,
  redactUrl,
  serverIdentity,
  StepRecorder,
  throwIfAborted,
  UsageError,
  withClient,
  withDatabase,
  type DeployLock,
  type PreparedSwap,
  type ServiceTarget,
  type WorkDir,
} from "@odoo-deploy/core";
import { checkRules } from "../check/check.js";
import { anonymizeDatabase, type AnonymizeEvent } from "../engine/database.js";
import { removeAnonymizeLeftovers } from "../engine/leftovers.js";
import { resolveRulesSource } from "../rules/source.js";
import { verifyAnonymization } from "../verify/verify.js";
import { resolveBackupSource, restoreAnonymizedBackup } from "./backup-source.js";
import { stageFilestore } from "./filestore-policy.js";
import { pruneOldStagings, markStaging } from "./retention.js";
import { applyStagingSettings, runPostSql } from "./settings.js";
import { killedRefreshes, newRefreshState, removeRefreshState, writeRefreshState, type RefreshState } from "./state.js";
import { swapBack } from "./swap-back.js";
import { FILESTORE_POLICIES, type RefreshEvent, type RefreshReport, type RefreshStagingOptions, type ResolvedBackup } from "./types.js";

const APP = "odoo-deploy refresh-staging";
/** Work directories of the refresh (a backup's filestore extracted for the public/all policies). */
const REFRESH_WORK_DIR_PREFIX = "odoo-deploy-refresh-";

/**
 * Refreshes a staging database (and its filestore) from production or from a backup. Each step is named in the
 * report, and the old staging serves until the swap:
 * lock → recover (what killed runs left) → rules → copy (anonymized, into a new database beside staging) →
 * neutralize → settings (URL, ribbon, `postSqlFile`) → filestore (by policy) → verify (leak scan, canaries) →
 * swap (stop, rename the old staging aside and the copy in, start) → health → keep. A failure before the swap drops
 * the copy; an unhealthy staging is swapped back and the old one started again (`swappedBack`). A run killed
 * anywhere is settled by the next, which says what it cleaned.
 *
 * @example
 * const service = createServiceControl({ kind: "docker", container: "odoo-staging" });
 * const r = await refreshStaging({ sourceUrl, targetUrl: "postgres://staging-db/staging", preset: "odoo", secret,
 *   service, baseUrl: "https://staging.example.com", healthUrl: "http://staging:8069", targetFilestore });
 * if (!r.ok) console.error(r.failure?.step, r.failure?.message, r.swappedBack ? "(old staging serves)" : "");
 */
export async function refreshStaging(o: RefreshStagingOptions): Promise<RefreshReport> {
  const start = performance.now();
  throwIfAborted(o.signal);
  const { database, policy, keep } = validate(o);
  const id = newRunId();
  const journalDir = path.resolve(o.journalDir ?? defaultJournalDir());
  const emit = (e: RefreshEvent) => o.onEvent?.(e);
  const steps = new StepRecorder("refresh", { ...(o.onEvent ? { onEvent: o.onEvent } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const report: RefreshReport = {
    ok: false,
    durationMs: 0,
    id,
    database,
    source: o.sourceUrl ? { kind: "database", database: parseDbUrl(o.sourceUrl).database ?? "" } : { kind: "backup", backup: { path: o.fromBackup!, kind: "custom", dumpFile: o.fromBackup!, verified: false } },
    steps: steps.steps,
    swappedBack: false,
    replaced: false,
    ...(o.baseUrl ? { url: o.baseUrl } : {}),
    rows: 0,
    dropped: [],
    cleaned: [],
    warnings: [],
  };
  const warn = (message: string) => {
    report.warnings.push(message);
    emit({ type: "refresh:warning", message });
  };
  const rulesSource = { ...(o.rules ? { rules: o.rules } : {}), ...(o.rulesFile ? { rulesFile: o.rulesFile } : {}), ...(o.preset ? { preset: o.preset } : {}), ...(o.env ? { env: o.env } : {}) };
  let lock: DeployLock | undefined;
  let swap: PreparedSwap | undefined;
  let state: RefreshState | undefined;
  let stoppedAt: number | undefined;
  let workDir: WorkDir | undefined;
  let backupFilestore: string | undefined;
  try {
    lock = await steps.must("lock", () => acquireDeployLock(o.targetUrl, database, o.lockTimeoutMs ?? 0, "refresh-staging", o.signal), () => `refresh lock of ${database} held`);
    const server = await withClient(withDatabase(o.targetUrl, "postgres"), (c) => serverIdentity(c), { applicationName: APP, ...(o.signal ? { signal: o.signal } : {}) });
    await steps.must(
      "recover",
      async () => {
        for (const c of await settleKilledRuns(o, { database, journalDir, server })) {
          report.cleaned.push(c);
          emit({ type: "refresh:cleaned", what: c });
        }
      },
      () => (report.cleaned.length ? `settled what killed runs left: ${report.cleaned.join("; ")}` : "nothing left by killed runs"),
    );

    // Rules, fail-closed, before anything is copied (a backup's tables are checked as its dump streams in, each
    // before its first row is written, into a database nobody serves).
    let backup: ResolvedBackup | undefined;
    if (o.sourceUrl) {
      const sourceUrl = o.sourceUrl;
      // The copy's own guard compares the source with the copy's new name; what the swap replaces is the staging
      // database, so that is what must not be the source — decided after connecting, whatever the URLs say.
      await assertDistinctDatabases({ sourceUrl, targetUrl: o.targetUrl, ...(o.signal ? { signal: o.signal } : {}) });
      await steps.must("rules", async () => {
        const c = await checkRules({ ...rulesSource, sourceUrl, ...(o.signal ? { signal: o.signal } : {}) });
        if (!c.ok) {
          const uncovered = c.uncovered.map((u) => `${u.table}.${u.column}`);
          throw new OperationFailedError(`the rules do not cover the source: ${[...c.checks.filter((k) => k.status === "failed").map((k) => k.detail), ...(uncovered.length ? [`unclassified: ${uncovered.slice(0, 20).join(", ")}${uncovered.length > 20 ? ", …" : ""}`] : [])].join("; ")}`, {
            code: "RULES_INCOMPLETE",
            details: { uncovered: c.uncovered, suggestedRules: c.suggestedRules },
          });
        }
        return c;
      }, (c) => `${c.tables.copied} table(s) copied, ${c.tables.truncated} truncated, ${c.tables.skipped} skipped: every column classified`);
    } else {
      backup = await steps.must("source", () => resolveBackupSource(o.fromBackup!, { ...(o.signal ? { signal: o.signal } : {}) }), (b) => `${b.kind} backup ${b.path}${b.verified ? " (verified)" : ""}`);
      report.source = { kind: "backup", backup };
      if ((policy === "public" || policy === "all") && !backup.filestore && !o.sourceFilestore) {
        throw new UsageError(`--filestore ${policy} copies originals, and ${backup.path} holds no filestore: give --source-filestore DIR or use placeholders`, { code: "NO_SOURCE_FILESTORE" });
      }
      await steps.must("rules", async () => resolveRulesSource(rulesSource), () => "rules loaded; each table of the dump is checked before its rows are written");
    }

    swap = await prepareSwap({
      dbUrl: o.targetUrl,
      database,
      journalDir,
      id,
      replacement: fitDatabaseName(database, `_refresh_${id}`),
      ownsReplacement: true,
      ...(o.targetFilestore ? { filestore: { dir: o.targetFilestore.dir } } : {}),
      ...(o.signal ? { signal: o.signal } : {}),
    });
    const copyUrl = withDatabase(o.targetUrl, swap.replacement);

    if (o.sourceUrl) {
      const sourceUrl = o.sourceUrl;
      const r = await steps.must("copy", async () => {
        const a = await anonymizeDatabase({ ...rulesSource, sourceUrl, targetUrl: copyUrl, ...(o.secret ? { secret: o.secret } : {}), ...(o.jobs ? { jobs: o.jobs } : {}), ...(o.signal ? { signal: o.signal } : {}), onEvent: copyProgress(emit) });
        report.anonymize = a;
        // The engine checks the rules again (its own fail-closed guard), and refuses what changed since `rules`.
        if (!a.ok) throw new OperationFailedError(a.failure?.message ?? "the anonymized copy failed", { code: a.failure?.code ?? "ANONYMIZE_FAILED", details: { step: a.failure?.step } });
        return a;
      }, (a) => `${a.rows} rows of ${a.tables.length} tables anonymized (${a.jobs} streams)`);
      report.rows = r.rows;
    } else {
      const r = await steps.must("copy", async () => {
        await withClient(withDatabase(o.targetUrl, "postgres"), (c) => c.query(`CREATE DATABASE ${quoteIdent(swap!.replacement)} TEMPLATE template0 ENCODING 'UTF8'`), { applicationName: APP });
        // The public/all policies copy originals: the backup's own filestore is extracted for them (a work directory
        // of this run, removed at the end or by the next run's recover step).
        if ((policy === "public" || policy === "all") && backup!.filestore && swap!.filestore) {
          workDir = createWorkDir(REFRESH_WORK_DIR_PREFIX);
          backupFilestore = path.join(workDir.path, "filestore");
        }
        const b = await restoreAnonymizedBackup({
          ...rulesSource,
          backup: backup!,
          targetUrl: copyUrl,
          ...(backupFilestore ? { filestoreDir: backupFilestore } : {}),
          ...(o.secret ? { secret: o.secret } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
          // Its own steps are parts of this one: only its progress is passed on.
          onEvent: (e) => e.type === "refresh:progress" && emit(e),
        });
        report.restore = b;
        if (!b.ok) throw new OperationFailedError(b.failure?.message ?? "the backup could not be restored anonymized", { code: b.failure?.code ?? "RESTORE_FAILED", details: { step: b.failure?.step } });
        return b;
      }, (b) => `${b.rows} rows restored through the anonymizer from ${b.backup.kind} backup`);
      report.rows = r.rows;
    }
    await markStaging(o.targetUrl, swap.replacement, id, database, o.signal);

    if (o.neutralize === false) {
      warn("not neutralized (neutralize: false): the new staging's mail servers, crons and payment providers are as in production");
    } else {
      await steps.must("neutralize", async () => {
        const r = await neutralizeDatabase({
          dbName: swap!.replacement,
          dbUrl: copyUrl,
          ...(o.odooRunner ? { runner: o.odooRunner } : {}),
          ...(o.odooBin ? { odooBin: o.odooBin } : {}),
          ...(o.odooConfig ? { odooConfig: o.odooConfig } : {}),
          ...(o.odooEnv ? { env: o.odooEnv } : {}),
          force: true,
          ...(o.signal ? { signal: o.signal } : {}),
        });
        report.neutralize = r;
        if (!r.ok) throw new OperationFailedError(`neutralize failed: ${[...r.steps, ...r.checks].filter((c) => c.status === "failed").map((c) => `${c.name}: ${c.detail ?? ""}`).join("; ")}`, { code: "NEUTRALIZE_FAILED" });
        return r;
      }, (r) => `neutralized${r.credentialsCleared ? `, ${r.credentialsCleared} stored credential(s) cleared` : ""}`);
    }

    await steps.must("settings", async () => {
      const set = await applyStagingSettings(copyUrl, { ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}), ...(o.ribbon ? { ribbon: o.ribbon } : {}) }, o.signal);
      const sql = o.postSqlFile ? await runPostSql(copyUrl, o.postSqlFile, o.signal) : undefined;
      return [...set, ...(sql ? [`${path.basename(sql.file)} (${sql.bytes} bytes, one transaction)`] : [])];
    }, (set) => (set.length ? `set ${set.join(", ")}` : "nothing to set (no --base-url, --ribbon or --post-sql)"));

    if (swap.filestore) {
      const fs = swap.filestore;
      const source = o.sourceFilestore ? { dir: o.sourceFilestore.dir, runner: o.sourceFilestore.runner } : backupFilestore ? { dir: backupFilestore } : undefined;
      report.filestore = await steps.must("filestore", async () => {
        await mkdir(path.dirname(fs.partial!), { recursive: true });
        // Owner and modes of the staging filestore being replaced: the staging Odoo reads the new one as it read the old.
        const perms = await filestorePerms(fs.dir);
        const r = await stageFilestore({ policy, dbUrl: copyUrl, targetDir: fs.partial!, perms, ...(source ? { source } : {}), ...(o.signal ? { signal: o.signal } : {}), onEvent: emit });
        if (!r.ok) throw new OperationFailedError(`filestore: ${r.checks.filter((c) => c.status === "failed").map((c) => c.detail).join("; ")}`, { code: "FILESTORE_FAILED" });
        await rename(fs.partial!, fs.replacement);
        return r;
      }, (r) => `${policy}: ${r.files} file(s), ${r.placeholders} placeholder(s), ${r.copied} original(s) (${r.linked} hard-linked)${r.missing ? `, ${r.missing} referenced file(s) missing in the source` : ""}`);
      if (report.filestore.missing) warn(`${report.filestore.missing} file(s) the copy references were missing from the source filestore`);
    } else {
      steps.steps.push({ name: "filestore", status: "skipped", detail: "no target filestore given: files untouched" });
      warn("no target filestore (--target-filestore): the staging's files were not refreshed");
    }

    // The leak scan runs on the copy before anyone can reach it: a leak never gets published.
    await steps.must("verify", async () => {
      const v = await verifyAnonymization({ ...rulesSource, ...(o.sourceUrl ? { sourceUrl: o.sourceUrl } : {}), targetUrl: copyUrl, ...(o.leakScanRows === 0 ? {} : { sampleRows: o.leakScanRows ?? 20_000 }), ...(o.canaries?.length ? { canaries: o.canaries } : {}), ...(o.signal ? { signal: o.signal } : {}) });
      report.verify = v;
      if (!v.ok) throw new OperationFailedError(`leak scan: ${v.checks.filter((c) => c.status === "failed").map((c) => c.detail).join("; ")}`, { code: "LEAK_FOUND", details: { leaks: v.leaks } });
      return v;
    }, (v) => `no leak (${v.checks.map((c) => `${c.name} ${c.status}`).join(", ")})`);
    report.databaseBytes = await databaseSize(o.targetUrl, swap.replacement);

    // The swap: from the stop on, the refresh journal lets a later run put the old staging back.
    const before = await o.service.status(o.signal);
    const serviceTarget: ServiceTarget = before.imageId ?? before.image ? { image: (before.imageId ?? before.image)! } : {};
    state = newRefreshState({
      id,
      server,
      database,
      phase: "stopping",
      serviceTarget,
      asideDatabase: swap.asideName,
      ...(swap.filestore ? { filestoreDir: swap.filestore.dir, asideFilestoreDir: swap.filestore.aside } : {}),
    });
    await steps.must("swap", async () => {
      await writeRefreshState(journalDir, state!);
      stoppedAt = performance.now();
      await o.service.stop(o.signal);
      const c = await swap!.commit({ ...(o.signal ? { signal: o.signal } : {}) });
      state!.phase = "swapped";
      await writeRefreshState(journalDir, state!);
      if (c.asideName) report.asideDatabase = c.asideName;
      await o.service.start(serviceTarget, o.signal);
      return c;
    }, (c) => `${database} replaced${c.asideName ? ` (old staging aside as ${c.asideName})` : ""}; ${o.service.description} started`);
    swap = undefined;

    if (o.healthUrl) {
      const healthUrl = o.healthUrl;
      report.health = await steps.must("health", async () => {
        try {
          return await checkServiceHealth({ url: healthUrl, dbName: database, ...(o.healthTimeoutMs ? { timeoutMs: o.healthTimeoutMs } : {}), ...(o.signal ? { signal: o.signal } : {}) });
        } catch (e) {
          if (e instanceof OperationFailedError && e.details.health) report.health = e.details.health as RefreshReport["health"];
          throw e;
        }
      }, (h) => `healthy after ${h.attempts} attempt(s)`);
    } else {
      steps.steps.push({ name: "health", status: "skipped", detail: "no --health-url: the new staging was started but not checked" });
      warn("no health URL: the new staging was started but not checked");
    }
    if (stoppedAt !== undefined) report.downtimeMs = durationSince(stoppedAt);
    await removeRefreshState(journalDir, id);
    state = undefined;
    report.replaced = true;

    const pruned = await steps.must("keep", () => pruneOldStagings({ dbUrl: o.targetUrl, database, keep, ...(o.targetFilestore ? { filestoreDir: o.targetFilestore.dir } : {}) }), (p) =>
      `${p.kept.length} old staging(s) kept${p.dropped.length ? `, dropped ${p.dropped.join(", ")}` : ""}`,
    );
    report.dropped = pruned.dropped;
    for (const f of pruned.failed) warn(`old staging not dropped: ${f}`);
    if (report.asideDatabase && pruned.dropped.includes(report.asideDatabase)) delete report.asideDatabase;
    report.ok = true;
  } catch (e) {
    await undo(o, { report, steps, swap, state, journalDir, stoppedAt });
    if (!steps.judged(e)) throw e;
    report.failure = steps.failure;
  } finally {
    workDir?.remove();
    await lock?.release();
    report.durationMs = durationSince(start);
  }
  if (o.notifyUrl) report.notified = await notify(o.notifyUrl, notification(report));
  return report;
}

/** After a failure: what this run made is removed, and the old staging is in place and started. Never throws. */
async function undo(
  o: RefreshStagingOptions,
  ctx: { report: RefreshReport; steps: StepRecorder<"refresh">; swap: PreparedSwap | undefined; state: RefreshState | undefined; journalDir: string; stoppedAt: number | undefined },
): Promise<void> {
  const { report, state } = ctx;
  try {
    // Not committed: the copy, its filestore and the swap journal go; the old staging was never touched.
    if (ctx.swap) await ctx.swap.abandon();
    if (!state) return;
    if (state.phase === "swapped") {
      await o.service.stop().catch(() => {});
      report.swappedBack = await swapBack({ dbUrl: o.targetUrl, database: state.database, journalDir: ctx.journalDir, id: state.id, asideDatabase: state.asideDatabase!, ...fsNames(state) });
      delete report.asideDatabase;
    }
    await o.service.start(state.serviceTarget);
    const health = o.healthUrl ? await checkServiceHealth({ url: o.healthUrl, dbName: state.database, ...(o.healthTimeoutMs ? { timeoutMs: o.healthTimeoutMs } : {}) }).then(() => "healthy", (e: Error) => `not healthy: ${e.message}`) : "not checked (no health URL)";
    ctx.steps.steps.push({ name: "swap-back", status: "ok", detail: `${report.swappedBack ? "old staging put back" : "old staging untouched"}; ${o.service.description} started, ${health}` });
    await removeRefreshState(ctx.journalDir, state.id);
    if (ctx.stoppedAt !== undefined) report.downtimeMs = durationSince(ctx.stoppedAt);
  } catch (e) {
    // The refresh journal stays: the next run (or `odoo-deploy refresh-staging` again) settles it.
    ctx.steps.steps.push({ name: "swap-back", status: "failed", detail: `${(e as Error).message}; the next refresh of ${report.database} will settle it` });
  }
}

/** Settles what killed runs left: swaps half-done (core's journal), then a service left stopped or an unproven copy. */
async function settleKilledRuns(o: RefreshStagingOptions, ctx: { database: string; journalDir: string; server: string }): Promise<string[]> {
  const cleaned: string[] = [];
  const swaps = await recoverSwaps({ dbUrl: o.targetUrl, database: ctx.database, journalDir: ctx.journalDir, ...(o.signal ? { signal: o.signal } : {}) });
  for (const s of swaps.swaps) {
    if (s.outcome === "unrecoverable") throw new OperationFailedError(`a killed run's swap cannot be settled: ${s.detail} (journal ${s.journalFile})`, { code: "SWAP_UNRECOVERABLE" });
    if (s.outcome === "finished" || s.outcome === "undone") cleaned.push(`swap ${s.id} ${s.outcome}: ${s.detail}`);
  }
  // A copy killed half-way leaves its temporary database and work directory (marked, claimed by a dead run).
  const left = await removeAnonymizeLeftovers(o.targetUrl, APP, o.signal);
  for (const d of left.databases.removed) cleaned.push(`temporary database ${d} of a killed run dropped`);
  for (const d of [...left.workDirs.removed, ...removeLeftoverWorkDirs(REFRESH_WORK_DIR_PREFIX).removed]) cleaned.push(`work directory ${d} of a killed run removed`);
  for (const state of await killedRefreshes(ctx.journalDir, ctx.server, ctx.database)) {
    const swappedIn = state.phase === "swapped" || swaps.swaps.some((s) => s.id === state.id && s.outcome === "finished");
    let back = false;
    if (swappedIn && state.asideDatabase) {
      // The killed run may have started the service on the copy: stopped first, as after a failed health check,
      // so that no Odoo keeps a registry of the copy across the renames.
      await o.service.stop(o.signal);
      back = await swapBack({ dbUrl: o.targetUrl, database: ctx.database, journalDir: ctx.journalDir, id: state.id, asideDatabase: state.asideDatabase, ...fsNames(state) });
    }
    await o.service.start(state.serviceTarget, o.signal);
    await removeRefreshState(ctx.journalDir, state.id);
    cleaned.push(`refresh ${state.id} was killed ${swappedIn ? "after its swap" : "while stopping the service"}: ${back ? "the old staging was put back and " : ""}${o.service.description} started`);
  }
  return cleaned;
}

function fsNames(state: RefreshState): { filestoreDir?: string; asideFilestoreDir?: string } {
  return state.filestoreDir && state.asideFilestoreDir ? { filestoreDir: state.filestoreDir, asideFilestoreDir: state.asideFilestoreDir } : {};
}

function validate(o: RefreshStagingOptions): { database: string; policy: NonNullable<RefreshStagingOptions["filestore"]>; keep: number } {
  if (!o.sourceUrl === !o.fromBackup) throw new UsageError("refresh-staging needs exactly one source: --source-url URL or --from-backup PATH", { code: "BAD_SOURCE" });
  const database = parseDbUrl(o.targetUrl).database;
  if (!database) throw new UsageError(`the staging URL names no database: ${redactUrl(o.targetUrl)}`, { code: "NO_DATABASE" });
  const policy = o.filestore ?? "placeholders";
  if (!FILESTORE_POLICIES.includes(policy)) throw new UsageError(`--filestore must be one of ${FILESTORE_POLICIES.join(", ")}: ${String(policy)}`, { code: "BAD_FILESTORE_POLICY" });
  const keep = o.keep ?? 1;
  if (!Number.isInteger(keep) || keep < 0) throw new UsageError(`--keep must be a whole number ≥ 0: ${keep}`, { code: "BAD_KEEP" });
  if ((policy === "public" || policy === "all") && o.sourceUrl && !o.sourceFilestore) throw new UsageError(`--filestore ${policy} copies production's files: give --source-filestore DIR`, { code: "NO_SOURCE_FILESTORE" });
  if (o.targetFilestore && o.targetFilestore.runner.kind !== "local") throw new UsageError("the staging filestore must be on the host running the refresh (it is swapped with renames)", { code: "REMOTE_FILESTORE" });
  return { database, policy, keep };
}

function copyProgress(emit: (e: RefreshEvent) => void): (e: AnonymizeEvent) => void {
  return (e) => {
    if (e.type === "anonymize:progress") emit({ type: "refresh:progress", phase: "copy", done: e.rows, unit: "rows", perSec: e.rowsPerSec, ...(e.fraction > 0 ? { total: Math.round(e.rows / e.fraction) } : {}) });
    else if (e.type === "anonymize:table") emit({ type: "refresh:progress", phase: "copy", done: e.rows, unit: "rows", table: e.table, perSec: e.rowsPerSec });
  };
}

async function databaseSize(url: string, name: string): Promise<number | undefined> {
  return withClient(withDatabase(url, "postgres"), async (c) => Number((await c.query<{ n: string }>("SELECT pg_database_size($1) AS n", [name])).rows[0]?.n), { applicationName: APP }).catch(() => undefined);
}

/** What `notifyUrl` receives: the outcome without the sub-reports. */
function notification(r: RefreshReport): Record<string, unknown> {
  return {
    kind: "odoo-deploy refresh-staging",
    id: r.id,
    ok: r.ok,
    database: r.database,
    url: r.url,
    replaced: r.replaced,
    swappedBack: r.swappedBack,
    failure: r.failure,
    steps: r.steps.map((s) => ({ name: s.name, status: s.status, durationMs: s.durationMs })),
    rows: r.rows,
    leaks: r.verify?.leaks.length,
    durationMs: r.durationMs,
  };
}

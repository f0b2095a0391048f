// (Over 300 lines: the steps of anonymizeDatabase read in order in one place, with the copy they drive and the
// publish that ends them; range splitting is in ranges.ts, the workers in worker-pool.ts.)
import {
  AbortedError,
  assertDistinctDatabases,
  createLocalRunner,
  createTemporaryDatabase,
  createWorkDir,
  databaseExists,
  durationSince,
  fitDatabaseName,
  OdooDeployError,
  openDumpSnapshot,
  OperationFailedError,
  parseDbUrl,
  quoteIdent,
  redactUrl,
  renameDatabase,
  runPgTool,
  serverMajor,
  StepRecorder,
  swapDatabase,
  throwIfAborted,
  UsageError,
  withClient,
  withDatabase,
  type Check,
  type CommandRunner,
  type EventHandler,
  type Queryable,
  type ReportBase,
  type StepEvent,
  type StepFailure,
  type TemporaryDatabase,
} from "@odoo-deploy/core";
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { planOnSource, planReport, type CheckRulesReport } from "../check/check.js";
import type { PlannedTable } from "../check/plan.js";
import { resolveRulesSource, type RulesSource } from "../rules/source.js";
import { referenceOnly } from "../accelerator/arena.js";
import { Anonymizer } from "../strategies/anonymizer.js";
import { readCatalog } from "./catalog.js";
import { compileTable } from "./compile-table.js";
import { describeLeftovers, removeAnonymizeLeftovers, WORK_DIR_PREFIX } from "./leftovers.js";
import { splitRanges, workItems, type WorkItem } from "./ranges.js";
import { PostDataPipeline, readEarlyObjects } from "./post-data.js";
import type { CopyWorkerInit } from "./worker-protocol.js";
import { runCopyPool, type PoolItem } from "./worker-pool.js";

/** Progress events of {@link anonymizeDatabase}. */
export type AnonymizeEvent =
  | StepEvent<"anonymize">
  | { type: "anonymize:progress"; rows: number; bytes: number; rowsPerSec: number; tablesDone: number; tablesTotal: number; fraction: number }
  | { type: "anonymize:table"; table: string; rows: number; bytes: number; durationMs: number; rowsPerSec: number };

/**
 * Default parallel COPY streams: one per core, since each stream also keeps two PostgreSQL backends busy (the
 * measurements are in commit 2a65820's message).
 */
const DEFAULT_JOBS = Math.min(8, os.availableParallelism());

/** Options of {@link anonymizeDatabase}. */
export interface AnonymizeDatabaseOptions extends RulesSource {
  /** PostgreSQL URL of the database to read (never written). */
  sourceUrl: string;
  /** PostgreSQL URL of the database to create; it must not exist unless `replace`. */
  targetUrl: string;
  /** The secret keying the fakes; default: the rules file's `secret`. */
  secret?: string;
  /**
   * Parallel COPY streams, each on its own worker thread (default: one per core, at most 8; each stream also
   * keeps two PostgreSQL backends busy).
   */
  jobs?: number;
  /** Swap an existing target for the new copy once everything succeeded. */
  replace?: boolean;
  /**
   * `maintenance_work_mem` of each of the `jobs` sessions building indexes and constraints on the new database
   * (default 256MB, less with more than 4 jobs so that all of them stay under 1 GB, never under 64MB).
   */
  maintenanceWorkMem?: string;
  /** Tables larger than this (bytes on disk) are split into block (or primary-key) ranges (default 64 MiB). */
  splitBytes?: number;
  /**
   * Run only the reference (string) paths of the strategies and COPY transforms, without the WebAssembly
   * accelerator: the same output, slower; for checking the accelerator against (default: true when the
   * environment variable `ODOO_DEPLOY_ANONYMIZE_REFERENCE` is `1`).
   */
  reference?: boolean;
  /** Directory of pg_dump/pg_restore (default: found on PATH). */
  pgBinDir?: string;
  /** Where pg_dump/pg_restore run (default local). */
  runner?: CommandRunner;
  signal?: AbortSignal;
  onEvent?: EventHandler<AnonymizeEvent>;
}

/** Per-table outcome. */
export interface TableResult {
  table: string;
  action: "copy" | "truncate" | "skip";
  rows: number;
  /** COPY bytes read from the source. */
  bytes: number;
  durationMs: number;
  /** Whether some columns were transformed (else the bytes were copied through). */
  transformed: boolean;
}

/** What {@link anonymizeDatabase} did. */
export interface AnonymizeReport extends ReportBase {
  source: string;
  target: string;
  steps: Check[];
  /** The rules check that ran first. */
  check: Omit<CheckRulesReport, "source" | "durationMs">;
  tables: TableResult[];
  rows: number;
  bytes: number;
  /** Values produced by strategies (memo hits included). */
  fakeValues: number;
  jobs: number;
  /** Whether the target database now holds the anonymized copy. */
  published: boolean;
  /** Peak resident memory of this process during the run, in bytes. */
  peakRssBytes: number;
  /** The judged failure that stopped the run (rules check, a pg tool, the copy, an index the fakes broke). */
  failure?: StepFailure;
  /** What killed runs had left (temporary databases on the target's server, work directories here), removed first. */
  removedLeftovers: { databases: string[]; workDirs: string[] };
}


const APP = "odoo-deploy anonymize";

/**
 * Anonymizes a database into a new one: the rules are checked first (fail-closed); then `pg_dump` pre-data
 * builds the schema in a temporary database, every table streams COPY OUT → transform → COPY IN on several
 * connections sharing one exported snapshot (big tables split into block ranges), post-data (indexes,
 * constraints) is built as tables finish (see post-data.ts) and completed after the copy, then sequences; the
 * temporary database is renamed to the target only when all of this succeeded. Any failure drops the temporary
 * database and leaves an existing target untouched.
 *
 * @example
 * const r = await anonymizeDatabase({
 *   sourceUrl: "postgres:///prod?host=/run/postgresql", targetUrl: "postgres:///staging?host=/run/postgresql",
 *   preset: "odoo", secret: process.env.ANON_SECRET, replace: true,
 * });
 */
export async function anonymizeDatabase(options: AnonymizeDatabaseOptions): Promise<AnonymizeReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  parseDbUrl(options.sourceUrl);
  const dst = parseDbUrl(options.targetUrl);
  if (!dst.database) throw new UsageError(`the target URL names no database: ${redactUrl(options.targetUrl)}`, { code: "BAD_DB_URL" });
  const rules = resolveRulesSource(options);
  const secret = options.secret ?? rules.secret;
  if (!secret) {
    throw new UsageError("no anonymization secret: pass --secret-env VAR (or `secret: ${VAR}` in the rules file)", { code: "NO_SECRET" });
  }
  // Decided by the servers, not by the URLs (a socket and 127.0.0.1 spell one database), before anything is made.
  await assertDistinctDatabases({ sourceUrl: options.sourceUrl, targetUrl: options.targetUrl, ...(options.signal ? { signal: options.signal } : {}) });
  const locale = rules.locale;
  let fakeValues = 0;
  const jobs = Math.max(1, options.jobs ?? DEFAULT_JOBS);
  const runner = options.runner ?? createLocalRunner();
  const bin = (name: string) => (options.pgBinDir ? path.join(options.pgBinDir, name) : name);
  const emit = options.onEvent ?? (() => {});
  const recorder = new StepRecorder("anonymize", { onEvent: emit, signal: options.signal });
  const steps = recorder.steps;
  const step = recorder.must.bind(recorder);
  const tables: TableResult[] = [];
  let peakRss = process.memoryUsage().rss;
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);
  const report = (ok: boolean, published: boolean, check: AnonymizeReport["check"]): AnonymizeReport => ({
    ok,
    durationMs: durationSince(start),
    source: redactUrl(options.sourceUrl),
    target: redactUrl(options.targetUrl),
    steps,
    check,
    tables,
    rows: tables.reduce((n, t) => n + t.rows, 0),
    bytes: tables.reduce((n, t) => n + t.bytes, 0),
    fakeValues,
    jobs,
    published,
    peakRssBytes: Math.max(peakRss, process.memoryUsage().rss),
    removedLeftovers,
    ...(recorder.failure ? { failure: recorder.failure } : {}),
  });
  const maintenanceUrl = withDatabase(options.targetUrl, "postgres");
  const targetName = dst.database;
  const tempName = fitDatabaseName(targetName, `_anon_${randomBytes(4).toString("hex")}`);
  const tempUrl = withDatabase(options.targetUrl, tempName);
  // One read-only snapshot for everything read from the source: the catalog, the workers' COPYs, pg_dump's schema.
  const source = await openDumpSnapshot(options.sourceUrl, options.signal, APP);
  const coordinator = source.db;
  let temp: TemporaryDatabase | undefined;
  let removedLeftovers: AnonymizeReport["removedLeftovers"] = { databases: [], workDirs: [] };
  let published = false;
  let checked: AnonymizeReport["check"] | undefined;
  let workDir: ReturnType<typeof createWorkDir> | undefined;
  try {
    const left = await step("leftovers", () => removeAnonymizeLeftovers(options.targetUrl, APP, options.signal), describeLeftovers);
    removedLeftovers = { databases: left.databases.removed, workDirs: left.workDirs.removed };
    workDir = createWorkDir(WORK_DIR_PREFIX);
    const work = workDir.path;
    const snapshot = source.snapshotId;
    const plan = await step("check", async () => {
      const catalog = await readCatalog(coordinator);
      const built = { plan: await planOnSource(coordinator, catalog, rules), catalog };
      checked = planReport(built.plan);
      // Fail-closed: a column nobody classified stops the run before anything is created.
      if (!checked.ok) {
        throw new OperationFailedError(checked.checks.filter((c) => c.status === "failed").map((c) => `${c.name}: ${c.detail ?? ""}`).join("; "), { code: "RULES_CHECK_FAILED" });
      }
      return built;
    });
    const check = checked!;
    const targetExists = await databaseExists(maintenanceUrl, targetName);
    if (targetExists && !options.replace) {
      throw new UsageError(`the target database ${targetName} already exists: pass --replace to swap it for the anonymized copy`, { code: "TARGET_EXISTS" });
    }

    const dumpFile = path.join(work, "schema.dump");
    let post!: PostDataPipeline;
    // Index builds sort in memory instead of spilling to disk; only these sessions, on the new database, use it.
    const postDataEnv = {
      PGOPTIONS: `${process.env.PGOPTIONS ?? ""} -c maintenance_work_mem=${options.maintenanceWorkMem ?? `${Math.max(64, Math.min(256, Math.floor(1024 / jobs)))}MB`}`.trim(),
    };
    let lists = 0;
    const restorePostData = async (lines: string[], what: string, signal: AbortSignal) => {
      const list = path.join(work, `post-data-${++lists}.list`);
      writeFileSync(list, lines.join("\n") + "\n");
      const argv = [bin("pg_restore"), "--section=post-data", "--no-owner", "--no-privileges", "--exit-on-error", `--jobs=${Math.min(jobs, lines.length)}`, "--use-list", list, "--dbname", tempName, dumpFile];
      await runPgTool(runner, argv, { dbUrl: tempUrl, what: `building ${what}`, env: postDataEnv, signal: options.signal ? AbortSignal.any([options.signal, signal]) : signal });
    };
    await step("schema", async () => {
      const exclude = plan.plan.tables.filter((t) => t.plan.action === "skip").flatMap((t) => ["--exclude-table", `${quoteIdent(t.info.schema)}.${quoteIdent(t.info.name)}`]);
      await runPgTool(runner, [bin("pg_dump"), "--format=custom", "--schema-only", `--snapshot=${snapshot}`, "--file", dumpFile, ...exclude], { dbUrl: options.sourceUrl, what: "dumping the schema", signal: options.signal });
      temp = await createTemporaryDatabase({ url: options.targetUrl, name: tempName, purpose: "anonymize", applicationName: APP, ...(options.signal ? { signal: options.signal } : {}) });
      await runPgTool(runner, [bin("pg_restore"), "--section=pre-data", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", tempName, dumpFile], { dbUrl: tempUrl, what: "restoring the schema", signal: options.signal });
      const toc = (await runPgTool(runner, [bin("pg_restore"), "--list", "--section=post-data", dumpFile], { dbUrl: tempUrl, what: "listing the post-data", signal: options.signal })).stdout;
      post = new PostDataPipeline({
        toc,
        objects: await readEarlyObjects(coordinator),
        copied: plan.plan.tables.filter((t) => t.plan.action === "copy").map((t) => `${t.info.schema}.${t.info.name}`),
        restore: restorePostData,
      });
    });

    await step("data", async () => {
      const items = workItems(plan.plan.tables);
      const sourceVersion = await serverVersion(coordinator);
      await splitRanges(coordinator, sourceVersion, items, options.splitBytes ?? 64 * 1024 * 1024, jobs);
      // Biggest tables first, each table's ranges together: a table is complete, and its indexes are built
      // while the copy goes on, as early as possible, and the biggest one (usually the most index work) first.
      // Sorted by range weight instead, two big tables interleave whenever their ranges are of about the same
      // size, and both finish last.
      items.sort((a, b) => b.table.info.bytes - a.table.info.bytes || a.table.info.ruleName.localeCompare(b.table.info.ruleName));
      // Compile every table's rules here first: a bad rule (unknown faker method, locale) is a usage error
      // before any worker starts.
      const anonymizer = new Anonymizer({ secret, locale });
      for (const t of plan.plan.tables) if (t.plan.action === "copy") compileTable(t, anonymizer);
      // COPY's binary format is only promised to read back on the same major version (PostgreSQL's docs).
      const targetVersion = await withClient(tempUrl, serverVersion, { signal: options.signal, applicationName: APP });
      const binary = serverMajor(sourceVersion) === serverMajor(targetVersion);
      // A failed index build (a unique index the fakes broke) stops the copy too.
      const signal = options.signal ? AbortSignal.any([options.signal, post.signal]) : post.signal;
      try {
        fakeValues = await copyAll(items, { ...options, signal, snapshot, tempUrl, jobs, secret, locale, emit, tables, plannedTables: plan.plan.tables, binary, onTableLoaded: (t) => post.tableLoaded(`${t.schema}.${t.name}`) });
      } catch (e) {
        const failure = post.failure;
        await post.close();
        throw failure ?? e;
      }
    });

    await step(
      "post-data",
      () => post.finish(),
      ({ early, late }) => `${early} of ${early + late} indexes and constraints built while the data was copied`,
    );

    await step("sequences", async () => {
      const values: [string, string, boolean][] = [];
      for (const s of plan.catalog.sequences) {
        const r = await coordinator.query<{ last_value: string; is_called: boolean }>(`SELECT last_value, is_called FROM ${s.sql}`);
        values.push([s.sql, r.rows[0]!.last_value, r.rows[0]!.is_called]);
      }
      if (values.length === 0) return;
      await withClient(tempUrl, (c) =>
        c.query(
          `SELECT setval(to_regclass(s), v::bigint, c) FROM unnest($1::text[], $2::text[], $3::bool[]) AS u(s, v, c) WHERE to_regclass(s) IS NOT NULL`,
          [values.map((v) => v[0]), values.map((v) => v[1]), values.map((v) => v[2])],
        ),
      );
    });
    await source.close();

    await step("publish", async () => {
      await publish(maintenanceUrl, tempName, targetName, targetExists, options.signal);
      published = true;
      // Renamed, it is no leftover whatever happens next (its marker names the temporary name); then unmarked.
      await temp!.publishedAs(targetName);
    });
    return report(true, true, check);
  } catch (e) {
    if (options.signal?.aborted && !(e instanceof AbortedError)) throw new AbortedError("anonymize aborted", { cause: e });
    // A step judged failed (rules check, a pg tool, the copy, an index the fakes broke): ok: false, nothing published.
    if (recorder.judged(e)) return report(false, published, checked ?? { ok: false, checks: [], tables: { copied: 0, truncated: 0, skipped: 0 }, uncovered: [], suggestedRules: "", orphans: [], invalid: [], unmatched: [] });
    throw e;
  } finally {
    clearInterval(rssTimer);
    await source.close();
    workDir?.remove();
    if (temp && !published) await temp.discard();
  }
}

/** `server_version_num` of the server `db` is connected to (150004 for 15.4). */
async function serverVersion(db: Queryable): Promise<number> {
  return Number((await db.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
}


interface CopyContext extends AnonymizeDatabaseOptions {
  snapshot: string;
  tempUrl: string;
  secret: string;
  locale: string;
  jobs: number;
  emit: (e: AnonymizeEvent) => void;
  tables: TableResult[];
  plannedTables: PlannedTable[];
  /** Whether tables may use COPY's binary format (source and target on the same major version). */
  binary: boolean;
  /** Called once every row of a table is in. */
  onTableLoaded(table: PlannedTable["info"]): void;
}

/** Copies every work item on worker threads (worker-pool.ts), keeping per-table results and progress here. */
async function copyAll(items: WorkItem[], ctx: CopyContext): Promise<number> {
  const results = new Map<string, TableResult>();
  for (const t of ctx.plannedTables) {
    const r: TableResult = { table: t.info.ruleName, action: t.plan.action, rows: 0, bytes: 0, durationMs: 0, transformed: false };
    results.set(t.info.ruleName, r);
    ctx.tables.push(r);
  }
  const copied = [...new Set(items.map((i) => i.table))];
  const index = new Map(copied.map((t, i) => [t, i]));
  const remaining = new Map<string, number>();
  for (const it of items) remaining.set(it.table.info.ruleName, (remaining.get(it.table.info.ruleName) ?? 0) + 1);
  const weights = items.map((i) => i.weight);
  const totalWeight = weights.reduce((n, w) => n + w, 0) || 1;
  let doneWeight = 0;
  let tablesDone = 0;
  let rows = 0;
  let bytes = 0;
  const t0 = performance.now();
  let lastEmit = 0;
  const progress = (force = false) => {
    const now = performance.now();
    if (!force && now - lastEmit < 500) return;
    lastEmit = now;
    const secs = Math.max(0.001, (now - t0) / 1000);
    ctx.emit({ type: "anonymize:progress", rows, bytes, rowsPerSec: Math.round(rows / secs), tablesDone, tablesTotal: remaining.size, fraction: Math.min(1, doneWeight / totalWeight) });
  };
  const poolItems: PoolItem[] = items.map((i) => ({ table: index.get(i.table)!, ...(i.range ? { range: i.range } : {}) }));
  const weightOf = new Map(poolItems.map((p, i) => [p, weights[i]!]));
  const init: CopyWorkerInit = {
    sourceUrl: ctx.sourceUrl, targetUrl: ctx.tempUrl, snapshot: ctx.snapshot, secret: ctx.secret, locale: ctx.locale, applicationName: APP, tables: copied, binary: ctx.binary,
    reference: referenceOnly(ctx.reference),
  };
  const fakeValues = await runCopyPool(
    init,
    poolItems,
    ctx.jobs,
    {
      onProgress(r, b) {
        rows = r;
        bytes = b;
        progress();
      },
      onItemDone(item, r, durationMs) {
        const t = copied[item.table]!;
        const result = results.get(t.info.ruleName)!;
        result.rows += r.rows;
        result.bytes += r.bytes;
        result.durationMs += durationMs;
        result.transformed ||= r.transformed;
        doneWeight += weightOf.get(item) ?? 0;
        const left = remaining.get(t.info.ruleName)! - 1;
        remaining.set(t.info.ruleName, left);
        if (left === 0) {
          tablesDone++;
          const secs = Math.max(0.001, result.durationMs / 1000);
          ctx.emit({ type: "anonymize:table", table: t.info.ruleName, rows: result.rows, bytes: result.bytes, durationMs: result.durationMs, rowsPerSec: Math.round(result.rows / secs) });
          ctx.onTableLoaded(t.info);
        }
        progress();
      },
    },
    ctx.signal,
  ).catch((e: unknown) => {
    if (ctx.signal?.aborted) throw new AbortedError();
    throw e instanceof OdooDeployError ? e : new OperationFailedError(`copying data failed: ${(e as Error).message}`, { code: "COPY_FAILED", cause: e });
  });
  progress(true);
  return fakeValues;
}

/**
 * Puts the anonymized copy under the target's name: a plain rename when there was no target (it fails, and
 * replaces nothing, if one appeared since), else core's swap in one transaction, then the replaced one dropped.
 */
async function publish(maintenanceUrl: string, tempName: string, targetName: string, targetExists: boolean, signal: AbortSignal | undefined): Promise<void> {
  if (!targetExists) {
    await renameDatabase({ dbUrl: maintenanceUrl, from: tempName, to: targetName, ...(signal ? { signal } : {}) });
    return;
  }
  const { asideName } = await swapDatabase({ dbUrl: maintenanceUrl, database: targetName, replacement: tempName, ...(signal ? { signal } : {}) });
  if (asideName) await withClient(maintenanceUrl, (c) => c.query(`DROP DATABASE ${quoteIdent(asideName)} WITH (FORCE)`), { applicationName: APP });
}

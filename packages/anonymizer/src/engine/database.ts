import {
  AbortedError,
  connect,
  createLocalRunner,
  durationSince,
  EnvironmentError,
  libpqEnv,
  OdooDeployError,
  OperationFailedError,
  parseDbUrl,
  quoteIdent,
  redactUrl,
  serverMajor,
  throwIfAborted,
  UsageError,
  withClient,
  withDatabase,
  type Check,
  type CommandRunner,
  type EventHandler,
  type ExecResult,
  type Queryable,
  type ReportBase,
} from "@odoo-deploy/core";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type pg from "pg";
import { planReport, type CheckRulesReport } from "../check/check.js";
import { buildPlan, type PlannedTable } from "../check/plan.js";
import type { ColumnRuleInput } from "../rules/schema.js";
import { resolveRulesSource, type RulesSource } from "../rules/source.js";
import { Anonymizer } from "../strategies/compile.js";
import { readCatalog } from "./catalog.js";
import { compileTable } from "./compile-table.js";
import { PostDataPipeline, readEarlyObjects } from "./post-data.js";
import type { CopyWorkerInit } from "./worker-protocol.js";
import { runCopyPool, type PoolItem } from "./worker-pool.js";

/** Progress events of {@link anonymizeDatabase}. */
export type AnonymizeEvent =
  | { type: "anonymize:step"; step: string; status: "started" | "ok" | "failed" | "skipped"; detail?: string }
  | { type: "anonymize:progress"; rows: number; bytes: number; rowsPerSec: number; tablesDone: number; tablesTotal: number; fraction: number }
  | { type: "anonymize:table"; table: string; rows: number; bytes: number; durationMs: number; rowsPerSec: number };

/**
 * Default parallel COPY streams: one per core. Each stream also keeps two PostgreSQL backends busy (reading and
 * writing: about three quarters of its own CPU time), so streams plus backends already outnumber the cores. On 2
 * cores, the 1M-row bench in four sets of 3–4 alternating runs: the mean time of 2 streams was 6 % less, 1 % more,
 * 2.5 % less and 4 % less than 3 streams', with about 45 MB less memory (200 MB against 245 MB at peak). Before
 * the post-data overlap and the cheaper row engine, 3 streams had been about 10 % faster.
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
}

interface WorkItem {
  table: PlannedTable;
  /** Extra condition selecting a range of the table (ctid blocks or primary-key values). */
  range?: string;
  weight: number;
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
  const src = parseDbUrl(options.sourceUrl);
  const dst = parseDbUrl(options.targetUrl);
  if (!dst.database) throw new UsageError(`the target URL names no database: ${redactUrl(options.targetUrl)}`, { code: "BAD_DB_URL" });
  if (src.database === dst.database && (src.host ?? "") === (dst.host ?? "") && (src.port ?? "") === (dst.port ?? "")) {
    throw new UsageError("the source and target are the same database", { code: "SAME_DATABASE" });
  }
  const rules = resolveRulesSource(options);
  const secret = options.secret ?? rules.secret;
  if (!secret) {
    throw new UsageError("no anonymization secret: pass --secret-env VAR (or `secret: ${VAR}` in the rules file)", { code: "NO_SECRET" });
  }
  const locale = rules.locale;
  let fakeValues = 0;
  const jobs = Math.max(1, options.jobs ?? DEFAULT_JOBS);
  const runner = options.runner ?? createLocalRunner();
  const bin = (name: string) => (options.pgBinDir ? path.join(options.pgBinDir, name) : name);
  const emit = options.onEvent ?? (() => {});
  const steps: Check[] = [];
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
  });
  const step = async <T>(name: string, fn: () => Promise<T>, describe?: (out: T) => string): Promise<T> => {
    const t0 = performance.now();
    emit({ type: "anonymize:step", step: name, status: "started" });
    try {
      const out = await fn();
      steps.push({ name, status: "ok", durationMs: durationSince(t0), ...(describe ? { detail: describe(out) } : {}) });
      emit({ type: "anonymize:step", step: name, status: "ok" });
      return out;
    } catch (e) {
      const detail = e instanceof Error ? e.message : String(e);
      steps.push({ name, status: "failed", detail, durationMs: durationSince(t0) });
      emit({ type: "anonymize:step", step: name, status: "failed", detail });
      throw e;
    }
  };

  const maintenanceUrl = withDatabase(options.targetUrl, "postgres");
  const targetName = dst.database;
  const tempName = `${targetName.slice(0, 40)}_anon_${randomBytes(4).toString("hex")}`;
  const tempUrl = withDatabase(options.targetUrl, tempName);
  const coordinator = await connect(options.sourceUrl, { signal: options.signal, applicationName: APP });
  let tempCreated = false;
  let published = false;
  let checked: AnonymizeReport["check"] | undefined;
  const workDir = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-anon-"));
  try {
    await coordinator.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
    const snapshot = (await coordinator.query<{ s: string }>("SELECT pg_export_snapshot() AS s")).rows[0]!.s;
    const plan = await step("check", async () => {
      const catalog = await readCatalog(coordinator);
      return { plan: buildPlan(catalog, rules), catalog };
    });
    const check = planReport(plan.plan);
    checked = check;
    if (!check.ok) {
      steps[steps.length - 1] = { ...steps[steps.length - 1]!, status: "failed", detail: check.checks.filter((c) => c.status === "failed").map((c) => `${c.name}: ${c.detail ?? ""}`).join("; ") };
      return report(false, false, check);
    }
    const targetExists = await withClient(maintenanceUrl, async (c) => (await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [targetName])).rowCount === 1, { signal: options.signal, applicationName: APP });
    if (targetExists && !options.replace) {
      throw new UsageError(`the target database ${targetName} already exists: pass --replace to swap it for the anonymized copy`, { code: "TARGET_EXISTS" });
    }

    const dumpFile = path.join(workDir, "schema.dump");
    let post!: PostDataPipeline;
    // Index builds sort in memory instead of spilling to disk (20-25% faster on a 1M-row table's indexes); only
    // these sessions, on the new database, use it.
    const postDataEnv = {
      PGOPTIONS: `${process.env.PGOPTIONS ?? ""} -c maintenance_work_mem=${options.maintenanceWorkMem ?? `${Math.max(64, Math.min(256, Math.floor(1024 / jobs)))}MB`}`.trim(),
    };
    let lists = 0;
    const restorePostData = async (lines: string[], what: string, signal: AbortSignal) => {
      const list = path.join(workDir, `post-data-${++lists}.list`);
      writeFileSync(list, lines.join("\n") + "\n");
      const argv = [bin("pg_restore"), "--section=post-data", "--no-owner", "--no-privileges", "--exit-on-error", `--jobs=${Math.min(jobs, lines.length)}`, "--use-list", list, "--dbname", tempName, dumpFile];
      await run(runner, argv, tempUrl, options.signal ? AbortSignal.any([options.signal, signal]) : signal, postDataEnv).catch((e: unknown) => {
        if (e instanceof OperationFailedError) throw new OperationFailedError(`building ${what}: ${e.message}`, { code: e.code, details: e.details, cause: e });
        throw e;
      });
    };
    await step("schema", async () => {
      const exclude = plan.plan.tables.filter((t) => t.plan.action === "skip").flatMap((t) => ["--exclude-table", `${quoteIdent(t.info.schema)}.${quoteIdent(t.info.name)}`]);
      await run(runner, [bin("pg_dump"), "--format=custom", "--schema-only", `--snapshot=${snapshot}`, "--file", dumpFile, ...exclude], options.sourceUrl, options.signal);
      await withClient(maintenanceUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(tempName)} TEMPLATE template0`), { signal: options.signal, applicationName: APP });
      tempCreated = true;
      await run(runner, [bin("pg_restore"), "--section=pre-data", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", tempName, dumpFile], tempUrl, options.signal);
      const toc = (await run(runner, [bin("pg_restore"), "--list", "--section=post-data", dumpFile], tempUrl, options.signal)).stdout;
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
      // size, and both finish last (measured: 32 MiB ranges put res_partner's indexes after the copy, 6-7 s).
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
    await coordinator.query("COMMIT");

    await step("publish", async () => {
      await publish(maintenanceUrl, tempName, targetName, targetExists, options.signal);
      published = true;
      tempCreated = false;
    });
    return report(true, true, check);
  } catch (e) {
    if (e instanceof UsageError || e instanceof AbortedError || options.signal?.aborted) throw e instanceof OdooDeployError ? e : new AbortedError();
    if (!(e instanceof OdooDeployError) || e.category === "failed" || steps.some((s) => s.status === "failed")) {
      if (!steps.some((s) => s.status === "failed")) steps.push({ name: "run", status: "failed", detail: e instanceof Error ? e.message : String(e) });
      return report(false, published, checked ?? { ok: false, checks: [], tables: { copied: 0, truncated: 0, skipped: 0 }, uncovered: [], suggestedRules: "", orphans: [], invalid: [], unmatched: [] });
    }
    throw e;
  } finally {
    clearInterval(rssTimer);
    await coordinator.end().catch(() => {});
    rmSync(workDir, { recursive: true, force: true });
    if (tempCreated) {
      await withClient(maintenanceUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(tempName)} WITH (FORCE)`), { applicationName: APP }).catch(() => {});
    }
  }
}

async function run(runner: CommandRunner, argv: string[], url: string, signal: AbortSignal | undefined, extraEnv: Record<string, string> = {}): Promise<ExecResult> {
  const env = { ...libpqEnv(url), ...extraEnv };
  const r = await runner.exec(argv, { env, maxBuffer: 64 * 1024 * 1024, ...(signal ? { signal } : {}) });
  if (r.canceled) throw new AbortedError();
  if (r.exitCode === 127) throw new EnvironmentError(`${path.basename(argv[0]!)} not found`, { code: "COMMAND_NOT_FOUND" });
  if (r.exitCode !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
    throw new OperationFailedError(`${path.basename(argv[0]!)} failed (exit ${r.exitCode}): ${tail}`, { code: "PG_TOOL_FAILED", details: { command: r.command } });
  }
  if (r.outputTruncated) throw new OperationFailedError(`${path.basename(argv[0]!)} printed more than 64 MiB`, { code: "PG_TOOL_FAILED", details: { command: r.command } });
  return r;
}

/** `server_version_num` of the server `db` is connected to (150004 for 15.4). */
async function serverVersion(db: Queryable): Promise<number> {
  return Number((await db.query<{ v: string }>("SELECT current_setting('server_version_num') AS v")).rows[0]!.v);
}

function workItems(planned: PlannedTable[]): WorkItem[] {
  return planned.filter((t) => t.plan.action === "copy").map((table) => ({ table, weight: Math.max(table.info.bytes, 8192) }));
}

/** Whether a rule (or one nested in a `switch` or `jsonb`) must not produce the same value twice. */
function hasUniqueRule(rule: ColumnRuleInput): boolean {
  if (typeof rule === "string") return false;
  if ("unique" in rule && rule.unique) return true;
  if (rule.strategy === "switch") return Object.values(rule.cases).some(hasUniqueRule) || (rule.default !== undefined && hasUniqueRule(rule.default));
  if (rule.strategy === "jsonb") return hasUniqueRule(rule.each);
  return false;
}

/**
 * Splits big tables into ranges of about `splitBytes`: block ranges (`ctid`, a TID range scan, PostgreSQL 14+:
 * as cheap as a plain scan, any table) or else ranges of a one-column integer primary key. The last range is
 * open-ended, so rows in blocks added since the size was read are still copied. Tables with a `unique` rule
 * stay whole: uniqueness is enforced by the one worker that sees all of the column's values.
 */
async function splitRanges(client: pg.Client, version: number, items: WorkItem[], splitBytes: number, jobs: number): Promise<void> {
  for (const item of [...items]) {
    const t = item.table;
    if (t.info.bytes <= splitBytes || t.columns.some((c) => hasUniqueRule(c.rule))) continue;
    const parts = Math.max(jobs, Math.ceil(t.info.bytes / splitBytes));
    const ranges = version >= 140000 ? await blockRanges(client, t, parts) : await keyRanges(client, t, parts);
    if (ranges.length < 2) continue;
    items.splice(items.indexOf(item), 1);
    for (const range of ranges) items.push({ table: t, range, weight: item.weight / ranges.length });
  }
}

async function blockRanges(client: pg.Client, t: PlannedTable, parts: number): Promise<string[]> {
  const r = await client.query<{ blocks: string }>(`SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int)::text AS blocks`, [t.info.sql]);
  const blocks = Number(r.rows[0]!.blocks);
  const span = Math.ceil(blocks / parts);
  if (span < 1) return [];
  const ranges: string[] = [];
  for (let a = 0; a < blocks; a += span) ranges.push(a + span >= blocks ? `ctid >= '(${a},0)'` : `ctid >= '(${a},0)' AND ctid < '(${a + span},0)'`);
  return ranges;
}

async function keyRanges(client: pg.Client, t: PlannedTable, parts: number): Promise<string[]> {
  if (t.info.primaryKey.length !== 1) return [];
  const pk = t.info.columns.find((c) => c.name === t.info.primaryKey[0]);
  if (!pk || !["integer", "bigint", "smallint"].includes(pk.type)) return [];
  const col = quoteIdent(pk.name);
  const r = await client.query<{ lo: string | null; hi: string | null }>(`SELECT min(${col})::text AS lo, max(${col})::text AS hi FROM ${t.info.sql}`);
  const lo = r.rows[0]?.lo;
  const hi = r.rows[0]?.hi;
  if (lo == null || hi == null) return [];
  const span = (BigInt(hi) - BigInt(lo) + 1n) / BigInt(parts) + 1n;
  return Array.from({ length: parts }, (_, i) => {
    const a = BigInt(lo) + span * BigInt(i);
    return i === parts - 1 ? `${col} >= ${a}` : `${col} >= ${a} AND ${col} < ${a + span}`;
  });
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

/** Renames the finished temporary database to the target, swapping out an existing one. */
async function publish(maintenanceUrl: string, tempName: string, targetName: string, targetExists: boolean, signal: AbortSignal | undefined): Promise<void> {
  await withClient(
    maintenanceUrl,
    async (c) => {
      if (!targetExists) {
        await c.query(`ALTER DATABASE ${quoteIdent(tempName)} RENAME TO ${quoteIdent(targetName)}`);
        return;
      }
      const oldName = `${targetName.slice(0, 40)}_old_${randomBytes(4).toString("hex")}`;
      await c.query(`ALTER DATABASE ${quoteIdent(targetName)} WITH ALLOW_CONNECTIONS false`);
      try {
        await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [targetName]);
        await c.query("BEGIN");
        await c.query(`ALTER DATABASE ${quoteIdent(targetName)} RENAME TO ${quoteIdent(oldName)}`);
        await c.query(`ALTER DATABASE ${quoteIdent(tempName)} RENAME TO ${quoteIdent(targetName)}`);
        await c.query("COMMIT");
      } catch (e) {
        await c.query("ROLLBACK").catch(() => {});
        await c.query(`ALTER DATABASE ${quoteIdent(targetName)} WITH ALLOW_CONNECTIONS true`).catch(() => {});
        throw e;
      }
      await c.query(`DROP DATABASE ${quoteIdent(oldName)} WITH (FORCE)`);
    },
    { signal, applicationName: APP },
  );
}

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
  throwIfAborted,
  UsageError,
  withClient,
  withDatabase,
  type Check,
  type CommandRunner,
  type EventHandler,
  type ReportBase,
} from "@odoo-deploy/core";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { planReport, type CheckRulesReport } from "../check/check.js";
import { buildPlan, type PlannedTable } from "../check/plan.js";
import { CopyRowTransform } from "../copy/row-transform.js";
import { resolveRulesSource, type RulesSource } from "../rules/source.js";
import { Anonymizer } from "../strategies/compile.js";
import { readCatalog } from "./catalog.js";
import { compileTable } from "./compile-table.js";

/** Progress events of {@link anonymizeDatabase}. */
export type AnonymizeEvent =
  | { type: "anonymize:step"; step: string; status: "started" | "ok" | "failed" | "skipped"; detail?: string }
  | { type: "anonymize:progress"; rows: number; bytes: number; rowsPerSec: number; tablesDone: number; tablesTotal: number; fraction: number }
  | { type: "anonymize:table"; table: string; rows: number; bytes: number; durationMs: number; rowsPerSec: number };

/** Options of {@link anonymizeDatabase}. */
export interface AnonymizeDatabaseOptions extends RulesSource {
  /** PostgreSQL URL of the database to read (never written). */
  sourceUrl: string;
  /** PostgreSQL URL of the database to create; it must not exist unless `replace`. */
  targetUrl: string;
  /** The secret keying the fakes; default: the rules file's `secret`. */
  secret?: string;
  /** Parallel COPY streams (default 2). */
  jobs?: number;
  /** Swap an existing target for the new copy once everything succeeded. */
  replace?: boolean;
  /** Tables larger than this (bytes on disk) with an integer primary key are split into ranges (default 64 MiB). */
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
  /** Extra condition for a primary-key range. */
  range?: string;
  weight: number;
}

const APP = "odoo-deploy anonymize";

/**
 * Anonymizes a database into a new one: the rules are checked first (fail-closed); then `pg_dump` pre-data
 * builds the schema in a temporary database, every table streams COPY OUT → transform → COPY IN on several
 * connections sharing one exported snapshot (big tables split by primary-key ranges), post-data (indexes,
 * constraints) follows, then sequences; the temporary database is renamed to the target only when all of this
 * succeeded. Any failure drops the temporary database and leaves an existing target untouched.
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
  const anonymizer = new Anonymizer({ secret, locale: rules.locale });
  const jobs = Math.max(1, options.jobs ?? 2);
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
    fakeValues: anonymizer.fakeValues,
    jobs,
    published,
    peakRssBytes: Math.max(peakRss, process.memoryUsage().rss),
  });
  const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    emit({ type: "anonymize:step", step: name, status: "started" });
    try {
      const out = await fn();
      steps.push({ name, status: "ok", durationMs: durationSince(t0) });
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
    await step("schema", async () => {
      const exclude = plan.plan.tables.filter((t) => t.plan.action === "skip").flatMap((t) => ["--exclude-table", `${quoteIdent(t.info.schema)}.${quoteIdent(t.info.name)}`]);
      await run(runner, [bin("pg_dump"), "--format=custom", "--schema-only", `--snapshot=${snapshot}`, "--file", dumpFile, ...exclude], options.sourceUrl, options.signal);
      await withClient(maintenanceUrl, (c) => c.query(`CREATE DATABASE ${quoteIdent(tempName)} TEMPLATE template0`), { signal: options.signal, applicationName: APP });
      tempCreated = true;
      await run(runner, [bin("pg_restore"), "--section=pre-data", "--no-owner", "--no-privileges", "--exit-on-error", "--dbname", tempName, dumpFile], tempUrl, options.signal);
    });

    await step("data", async () => {
      const items = workItems(plan.plan.tables, options.splitBytes ?? 64 * 1024 * 1024, jobs);
      await splitRanges(coordinator, items, options.splitBytes ?? 64 * 1024 * 1024, jobs);
      items.sort((a, b) => b.weight - a.weight);
      await copyAll(items, { ...options, snapshot, tempUrl, jobs, anonymizer, emit, tables, plannedTables: plan.plan.tables });
    });

    await step("post-data", () =>
      run(runner, [bin("pg_restore"), "--section=post-data", "--no-owner", "--no-privileges", "--exit-on-error", `--jobs=${jobs}`, "--dbname", tempName, dumpFile], tempUrl, options.signal),
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

async function run(runner: CommandRunner, argv: string[], url: string, signal: AbortSignal | undefined): Promise<void> {
  const env = libpqEnv(url);
  const r = await runner.exec(argv, { env, ...(signal ? { signal } : {}) });
  if (r.canceled) throw new AbortedError();
  if (r.exitCode === 127) throw new EnvironmentError(`${path.basename(argv[0]!)} not found`, { code: "COMMAND_NOT_FOUND" });
  if (r.exitCode !== 0) {
    const tail = r.stderr.trim().split("\n").slice(-5).join("\n");
    throw new OperationFailedError(`${path.basename(argv[0]!)} failed (exit ${r.exitCode}): ${tail}`, { code: "PG_TOOL_FAILED", details: { command: r.command } });
  }
}

function workItems(planned: PlannedTable[], _splitBytes: number, _jobs: number): WorkItem[] {
  return planned.filter((t) => t.plan.action === "copy").map((table) => ({ table, weight: Math.max(table.info.bytes, 8192) }));
}

/** Splits big tables with a one-column integer primary key into ranges of about `splitBytes`. */
async function splitRanges(client: pg.Client, items: WorkItem[], splitBytes: number, jobs: number): Promise<void> {
  for (const item of [...items]) {
    const t = item.table;
    if (t.info.bytes <= splitBytes || t.info.primaryKey.length !== 1) continue;
    const pk = t.info.columns.find((c) => c.name === t.info.primaryKey[0]);
    if (!pk || !["integer", "bigint", "smallint"].includes(pk.type)) continue;
    const col = quoteIdent(pk.name);
    const r = await client.query<{ lo: string | null; hi: string | null }>(`SELECT min(${col})::text AS lo, max(${col})::text AS hi FROM ${t.info.sql}`);
    const lo = r.rows[0]?.lo;
    const hi = r.rows[0]?.hi;
    if (lo == null || hi == null) continue;
    const parts = Math.max(jobs, Math.ceil(t.info.bytes / splitBytes));
    const span = (BigInt(hi) - BigInt(lo) + 1n) / BigInt(parts) + 1n;
    items.splice(items.indexOf(item), 1);
    for (let i = 0; i < parts; i++) {
      const a = BigInt(lo) + span * BigInt(i);
      const range = i === parts - 1 ? `${col} >= ${a}` : `${col} >= ${a} AND ${col} < ${a + span}`;
      items.push({ table: t, range, weight: item.weight / parts });
    }
  }
}

interface CopyContext extends AnonymizeDatabaseOptions {
  snapshot: string;
  tempUrl: string;
  jobs: number;
  anonymizer: Anonymizer;
  emit: (e: AnonymizeEvent) => void;
  tables: TableResult[];
  plannedTables: PlannedTable[];
}

async function copyAll(items: WorkItem[], ctx: CopyContext): Promise<void> {
  const results = new Map<string, TableResult>();
  for (const t of ctx.plannedTables) {
    const r: TableResult = { table: t.info.ruleName, action: t.plan.action, rows: 0, bytes: 0, durationMs: 0, transformed: false };
    results.set(t.info.ruleName, r);
    ctx.tables.push(r);
  }
  const remaining = new Map<string, number>();
  for (const it of items) remaining.set(it.table.info.ruleName, (remaining.get(it.table.info.ruleName) ?? 0) + 1);
  const compiled = new Map<string, ReturnType<typeof compileTable>>();
  const totalWeight = items.reduce((n, i) => n + i.weight, 0) || 1;
  let doneWeight = 0;
  let rows = 0;
  let bytes = 0;
  let tablesDone = 0;
  const t0 = performance.now();
  let lastEmit = 0;
  const progress = (force = false) => {
    const now = performance.now();
    if (!force && now - lastEmit < 500) return;
    lastEmit = now;
    const secs = Math.max(0.001, (now - t0) / 1000);
    ctx.emit({ type: "anonymize:progress", rows, bytes, rowsPerSec: Math.round(rows / secs), tablesDone, tablesTotal: remaining.size, fraction: Math.min(1, doneWeight / totalWeight) });
  };
  const queue = [...items];
  const abort = new AbortController();
  const onAbort = () => abort.abort(ctx.signal?.reason);
  ctx.signal?.addEventListener("abort", onAbort, { once: true });
  let failure: unknown;

  const worker = async () => {
    const source = await connect(ctx.sourceUrl, { applicationName: APP, signal: abort.signal });
    const target = await connect(ctx.tempUrl, { applicationName: APP, signal: abort.signal }).catch(async (e: unknown) => {
      await source.end().catch(() => {});
      throw e;
    });
    try {
      await source.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      await source.query(`SET TRANSACTION SNAPSHOT '${ctx.snapshot.replace(/'/g, "''")}'`);
      for (let item = queue.shift(); item && !failure; item = queue.shift()) {
        const t = item.table;
        const started = performance.now();
        let spec = compiled.get(t.info.ruleName);
        if (!spec) {
          spec = compileTable(t, ctx.anonymizer);
          compiled.set(t.info.ruleName, spec);
        }
        const cols = t.columns.map((c) => quoteIdent(c.name)).join(", ");
        const conditions = [t.filter, item.range].filter(Boolean);
        const out = conditions.length
          ? `COPY (SELECT ${cols} FROM ONLY ${t.info.sql} WHERE ${conditions.join(" AND ")}) TO STDOUT`
          : `COPY (SELECT ${cols} FROM ONLY ${t.info.sql}) TO STDOUT`;
        const copyOut = source.query(copyTo(out));
        const copyIn = target.query(copyFrom(`COPY ${t.info.sql} (${cols}) FROM STDIN`));
        const result = results.get(t.info.ruleName)!;
        let itemRows = 0;
        let itemBytes = 0;
        if (spec.transforms.some(Boolean)) {
          const tr = new CopyRowTransform(spec);
          const counter = setInterval(() => {
            rows += tr.stats.rows - itemRows;
            bytes += tr.stats.bytesIn - itemBytes;
            itemRows = tr.stats.rows;
            itemBytes = tr.stats.bytesIn;
            progress();
          }, 250);
          try {
            await pipeline(copyOut, tr, copyIn, { signal: abort.signal });
          } finally {
            clearInterval(counter);
          }
          rows += tr.stats.rows - itemRows;
          bytes += tr.stats.bytesIn - itemBytes;
          itemRows = tr.stats.rows;
          itemBytes = tr.stats.bytesIn;
          result.transformed = true;
        } else {
          let n = 0;
          copyOut.on("data", (chunk: Buffer) => {
            n += chunk.length;
          });
          await pipeline(copyOut, copyIn, { signal: abort.signal });
          itemRows = Number((copyIn as unknown as { rowCount?: number }).rowCount ?? 0);
          itemBytes = n;
          rows += itemRows;
          bytes += itemBytes;
        }
        result.rows += itemRows;
        result.bytes += itemBytes;
        result.durationMs += durationSince(started);
        doneWeight += item.weight;
        const left = remaining.get(t.info.ruleName)! - 1;
        remaining.set(t.info.ruleName, left);
        if (left === 0) {
          tablesDone++;
          const secs = Math.max(0.001, result.durationMs / 1000);
          ctx.emit({ type: "anonymize:table", table: t.info.ruleName, rows: result.rows, bytes: result.bytes, durationMs: result.durationMs, rowsPerSec: Math.round(result.rows / secs) });
        }
        progress();
      }
      await source.query("COMMIT");
    } catch (e) {
      failure ??= e;
      abort.abort(e);
      throw e;
    } finally {
      await source.end().catch(() => {});
      await target.end().catch(() => {});
    }
  };
  try {
    const settled = await Promise.allSettled(Array.from({ length: Math.min(ctx.jobs, Math.max(1, items.length)) }, worker));
    if (failure || settled.some((s) => s.status === "rejected")) {
      const e = failure ?? (settled.find((s) => s.status === "rejected") as PromiseRejectedResult).reason;
      if (ctx.signal?.aborted) throw new AbortedError();
      throw e instanceof OdooDeployError ? e : new OperationFailedError(`copying data failed: ${(e as Error).message}`, { code: "COPY_FAILED", cause: e });
    }
    progress(true);
  } finally {
    ctx.signal?.removeEventListener("abort", onAbort);
  }
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

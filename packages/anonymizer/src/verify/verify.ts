import { durationSince, parseDbUrl, quoteIdent, redactUrl, throwIfAborted, withClient, type Check, type EventHandler, type ReportBase } from "@odoo-deploy/core/base";
import type pg from "pg";
import { buildPlan } from "../check/plan.js";
import { readCatalog } from "../engine/catalog.js";
import { strategyName } from "../rules/match.js";
import { resolveRulesSource, type RulesSource } from "../rules/source.js";

/** Events of {@link verifyAnonymization}. */
export type VerifyEvent = { type: "anonymize:verify"; table: string; column?: string; done: number; total: number; fraction: number };

/** Options of {@link verifyAnonymization}. */
export interface VerifyAnonymizationOptions extends RulesSource {
  /**
   * The original database. Without it (a copy restored from a backup, whose original is on another network) only
   * the canaries are searched, and the report says so.
   */
  sourceUrl?: string;
  /** The anonymized copy to scan. */
  targetUrl: string;
  /** Values that must appear nowhere in the target (searched as substrings in every text-like column). */
  canaries?: string[];
  /**
   * Original values shorter than this are not searched (default 6). Short values — zip codes, short codes —
   * come from small spaces: a fake zip equal to some other partner's real zip is chance, not a leak, and
   * with thousands of rows it is certain to happen.
   */
  minLength?: number;
  /** Distinct original values searched per column at most (default 200 000). */
  maxValuesPerColumn?: number;
  /**
   * Take the original values from the first `sampleRows` rows of each source table, all its columns in one
   * partial scan, instead of every distinct value of each column (a scan and a sort per column). Tables with more
   * rows are named as sampled. A rule that was not applied leaks every value, so a sample finds it; for a quick
   * scan after each copy (the staging refresh), where the full one would cost a third of the copy.
   */
  sampleRows?: number;
  signal?: AbortSignal;
  onEvent?: EventHandler<VerifyEvent>;
}

/** One leak: where, and how many rows. Values are never reported. */
export interface Leak {
  table: string;
  column: string;
  count: number;
  kind: "original" | "canary";
  /** Index of the canary in `canaries` (the value itself is not repeated in reports). */
  canary?: number;
}

/** What {@link verifyAnonymization} found. */
export interface VerifyReport extends ReportBase {
  source: string;
  target: string;
  checks: Check[];
  leaks: Leak[];
  /** Transformed columns scanned, and original values searched. */
  scanned: { columns: number; values: number; sampledColumns: string[] };
}

/** Original values searched in one scan of a target table (their arrays are the query's parameters). */
const SCAN_BATCH_VALUES = 400_000;

// Strategies whose output may legitimately equal the input: not scanned for originals.
const NOT_SCANNED = new Set(["keep", "noise", "switch", "regex"]);

/**
 * Scans the anonymized copy for original values of every transformed column (same table and column) and for
 * canary values anywhere, and reports each leak with table, column and count. `ok` is false on any leak.
 *
 * @example
 * const r = await verifyAnonymization({ sourceUrl, targetUrl, preset: "odoo", canaries: ["jane.doe@corp.example"] });
 * for (const l of r.leaks) console.error(l.table, l.column, l.count);
 */
export async function verifyAnonymization(options: VerifyAnonymizationOptions): Promise<VerifyReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  if (options.sourceUrl !== undefined) parseDbUrl(options.sourceUrl);
  parseDbUrl(options.targetUrl);
  const rules = resolveRulesSource(options);
  const minLength = options.minLength ?? 6;
  const maxValues = options.maxValuesPerColumn ?? 200_000;
  const leaks: Leak[] = [];
  const sampled: string[] = [];
  let scannedColumns = 0;
  let scannedValues = 0;
  const conn = { signal: options.signal, applicationName: "odoo-deploy anonymize verify" };
  const sourceUrl = options.sourceUrl;
  const scan = async (target: pg.Client, source: pg.Client | undefined) => {
      const targetCatalog = await readCatalog(target);
      if (!source) {
        if (options.canaries?.length) await scanCanaries(target, targetCatalog.tables, options.canaries, leaks);
        return;
      }
      const plan = buildPlan(await readCatalog(source), rules);
      const inTarget = new Map(targetCatalog.tables.map((t) => [t.ruleName, new Set(t.columns.map((c) => c.name))]));
      const work = plan.tables.flatMap((t) =>
        t.plan.action !== "copy" ? [] : t.columns.filter((c) => !NOT_SCANNED.has(strategyName(c.rule)) && inTarget.get(t.info.ruleName)?.has(c.name)).map((c) => ({ t, c })),
      );
      let done = 0;
      // One scan of each target table for all its columns (hashed `= ANY`), in batches of at most
      // SCAN_BATCH_VALUES original values: a scan per column, or per 10 000 values, made the leak scan of a
      // 1M-row copy take three times as long as the copy.
      const tables = new Map<string, typeof work>();
      for (const w of work) tables.set(w.t.info.ruleName, [...(tables.get(w.t.info.ruleName) ?? []), w]);
      for (const cols of tables.values()) {
        let batch: { name: string; values: string[] }[] = [];
        let batchValues = 0;
        const flush = async () => {
          if (!batch.length) return;
          const t = cols[0]!.t;
          const select = batch.map((b, k) => `count(*) FILTER (WHERE ${quoteIdent(b.name)}::text = ANY($${k + 1}::text[])) AS c${k}`).join(", ");
          const r = await target.query<Record<string, string>>(`SELECT ${select} FROM ${t.info.sql}`, batch.map((b) => b.values));
          batch.forEach((b, k) => {
            const count = Number(r.rows[0]![`c${k}`]);
            if (count > 0) leaks.push({ table: t.info.ruleName, column: b.name, count, kind: "original" });
            done++;
            options.onEvent?.({ type: "anonymize:verify", table: t.info.ruleName, column: b.name, done, total: work.length, fraction: done / work.length });
          });
          batch = [];
          batchValues = 0;
        };
        const sample = options.sampleRows === undefined ? undefined : await sampleValues(source, cols[0]!.t.info.sql, cols.map((w) => w.c.name), options.sampleRows, minLength);
        if (sample?.sampled) sampled.push(`${cols[0]!.t.info.ruleName} (first ${options.sampleRows} rows)`);
        for (const [k, { t, c }] of cols.entries()) {
          throwIfAborted(options.signal);
          const col = quoteIdent(c.name);
          const values = sample
            ? sample.values[k]!
            : (
                await source.query<{ v: string }>(
                  `SELECT DISTINCT ${col}::text AS v FROM ${t.info.sql} WHERE ${col} IS NOT NULL AND length(${col}::text) >= $1 LIMIT $2`,
                  [minLength, maxValues + 1],
                )
              ).rows.map((r) => r.v);
          if (values.length > maxValues) {
            values.length = maxValues;
            sampled.push(`${t.info.ruleName}.${c.name}`);
          }
          if (typeof c.rule === "object" && c.rule.strategy === "constant") {
            const constant = c.rule.value;
            for (let i = values.length - 1; i >= 0; i--) if (values[i] === constant) values.splice(i, 1);
          }
          scannedColumns++;
          scannedValues += values.length;
          if (batchValues + values.length > SCAN_BATCH_VALUES) await flush();
          batch.push({ name: c.name, values });
          batchValues += values.length;
        }
        await flush();
      }
      if (options.canaries?.length) await scanCanaries(target, targetCatalog.tables, options.canaries, leaks);
  };
  if (sourceUrl === undefined) await withClient(options.targetUrl, (target) => scan(target, undefined), conn);
  else await withClient(sourceUrl, (source) => withClient(options.targetUrl, (target) => scan(target, source), conn), { ...conn, readOnly: true });
  const originals = leaks.filter((l) => l.kind === "original");
  const canaries = leaks.filter((l) => l.kind === "canary");
  const describe = (ls: Leak[]) => ls.map((l) => `${l.table}.${l.column}: ${l.count} row(s)${l.canary !== undefined ? ` (canary #${l.canary + 1})` : ""}`).join(", ");
  const checks: Check[] = [
    sourceUrl === undefined
      ? { name: "original-values", status: "skipped", detail: "no source database to compare with (a backup source): only the canaries were searched" }
      : originals.length === 0
      ? { name: "original-values", status: "ok", detail: `${scannedValues} original value(s) of ${scannedColumns} transformed column(s) searched (values of ${minLength}+ characters)${sampled.length ? `; sampled: ${sampled.join(", ")}` : ""}` }
      : { name: "original-values", status: "failed", detail: `original values found: ${describe(originals)}` },
    !options.canaries?.length
      ? { name: "canaries", status: "skipped", detail: "no canary given" }
      : canaries.length === 0
        ? { name: "canaries", status: "ok", detail: `${options.canaries.length} canary value(s) found nowhere` }
        : { name: "canaries", status: "failed", detail: `canaries found: ${describe(canaries)}` },
  ];
  return {
    ok: leaks.length === 0,
    durationMs: durationSince(start),
    source: sourceUrl === undefined ? "" : redactUrl(sourceUrl),
    target: redactUrl(options.targetUrl),
    checks,
    leaks,
    scanned: { columns: scannedColumns, values: scannedValues, sampledColumns: sampled },
  };
}

/** Distinct values of `columns` (as text, of `minLength`+ characters) in the first `rows` rows of `table`, one scan. */
async function sampleValues(source: pg.Client, table: string, columns: string[], rows: number, minLength: number): Promise<{ values: string[][]; sampled: boolean }> {
  const r = await source.query<Record<string, string | null>>({ text: `SELECT ${columns.map((c, k) => `${quoteIdent(c)}::text AS c${k}`).join(", ")} FROM ${table} LIMIT $1`, values: [rows + 1] });
  const sets = columns.map(() => new Set<string>());
  for (const row of r.rows.slice(0, rows)) {
    columns.forEach((_, k) => {
      const v = row[`c${k}`];
      if (v != null && v.length >= minLength) sets[k]!.add(v);
    });
  }
  return { values: sets.map((x) => [...x]), sampled: r.rows.length > rows };
}

const TEXTLIKE = new Set(["S", "U", "A"]);

async function scanCanaries(target: pg.Client, tables: Awaited<ReturnType<typeof readCatalog>>["tables"], canaries: string[], leaks: Leak[]): Promise<void> {
  for (const t of tables) {
    const cols = t.columns.filter((c) => TEXTLIKE.has(c.category));
    if (cols.length === 0) continue;
    // Every canary in every column in one scan of the table.
    const select = canaries.flatMap((_, i) => cols.map((c, k) => `count(*) FILTER (WHERE strpos(${quoteIdent(c.name)}::text, $${i + 1}) > 0) AS c${i}_${k}`)).join(", ");
    const r = await target.query<Record<string, string>>(`SELECT ${select} FROM ${t.sql}`, canaries);
    for (const i of canaries.keys()) {
      cols.forEach((c, k) => {
        const n = Number(r.rows[0]![`c${i}_${k}`]);
        if (n > 0) leaks.push({ table: t.ruleName, column: c.name, count: n, kind: "canary", canary: i });
      });
    }
  }
}

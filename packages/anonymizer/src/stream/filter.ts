// (Over 300 lines: one Transform whose states — DDL read for column types, a COPY block rewritten, a where's
// DELETE after it — share the tables learnt as the dump streams; the rows themselves are copy/row-rewriter.ts's.)
import { durationSince, OperationFailedError, quoteIdent, throwIfAborted, UsageError, type Check, type EventHandler, type ReportBase } from "@odoo-deploy/core/base";
import { randomBytes } from "node:crypto";
import { Transform, type Readable, type TransformCallback, type Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { suggestedRulesYaml, type UncoveredColumn } from "../check/plan.js";
import { suggestRule } from "../check/suggest.js";
import { scanWhere } from "../check/where.js";
import { byteText, eachRun, LineChunks, MAX_TEXT_BYTES, type ByteText } from "../copy/byte-text.js";
import { RowRewriter } from "../copy/row-rewriter.js";
import type { Rules } from "../rules/load.js";
import { columnCoverage, passesThrough, tablePlan } from "../rules/match.js";
import { resolveRulesSource, type RulesSource } from "../rules/source.js";
import { Arena, referenceOnly } from "../accelerator/arena.js";
import { Anonymizer } from "../strategies/anonymizer.js";
import type { ColumnTransform } from "../strategies/builder.js";

/** Events of {@link anonymizeStream}. */
export type StreamEvent =
  /** No secret was given: the fakes are keyed by a random key of this run (they differ from run to run). */
  | { type: "anonymize:random-key" }
  | { type: "anonymize:progress"; rows: number; bytes: number; rowsPerSec: number; table: string }
  | { type: "anonymize:table"; table: string; rows: number; bytes: number; durationMs: number; rowsPerSec: number };

/** Options of {@link anonymizeStream}. */
export interface AnonymizeStreamOptions extends RulesSource {
  /** A plain-format SQL dump (`pg_dump -Fp`, `pg_restore -f -`). */
  input: Readable;
  /** Lines longer than this are handled on bytes, not as strings (default MAX_TEXT_BYTES; tests lower it). */
  maxTextBytes?: number;
  /** Where the anonymized SQL goes. */
  output: Writable;
  /** Only the reference (string) paths, without the WebAssembly accelerator (see AnonymizeDatabaseOptions.reference). */
  reference?: boolean;
  /**
   * The secret keying the fakes; default: the rules file's `secret`, else a random key for this run (fakes then
   * differ from run to run, and the same original still gets the same fake within the run).
   */
  secret?: string;
  signal?: AbortSignal;
  onEvent?: EventHandler<StreamEvent>;
}

/** What {@link anonymizeStream} did. */
export interface AnonymizeStreamReport extends ReportBase {
  checks: Check[];
  /**
   * Per COPY block: rows and bytes as they went through the filter. A table with a `where` has all its rows
   * counted here (they are streamed, anonymized, then deleted by the statement emitted after the block).
   */
  tables: { table: string; action: "copy" | "truncate" | "skip"; rows: number; bytes: number; where?: string }[];
  rows: number;
  bytesIn: number;
  bytesOut: number;
  fakeValues: number;
  /** Whether the fakes were keyed by a random key of this run (no secret given): not repeatable. */
  randomKey: boolean;
}

/**
 * The stream filter: a plain SQL dump in, the same dump with every `COPY … FROM stdin` block anonymized out.
 * Everything else (DDL, `\restrict` and other psql meta-commands) passes through byte for byte. Coverage is
 * checked fail-closed per table before its data is written, with the column types of the dump's own
 * `CREATE TABLE` statements, inherited columns included (`INHERITS (…)`: the parents' columns, which the child's
 * statement does not list); `truncate` and `skip` tables have their rows dropped.
 *
 * A table's `where` cannot be evaluated on a stream, so it is applied by the restore: every row is transformed
 * and written, and right after the table's COPY block comes
 * `DELETE FROM ONLY <table> WHERE NOT COALESCE((<where>), false);` (a row for which the where is not true is
 * not kept, as the database-to-database engine does not copy it). That gives the engine's result only when the
 * where reads no column the rules transform (the DELETE sees the transformed values), so such a where is refused
 * (`WHERE_READS_TRANSFORMED`), and so is one that is not a single self-contained expression (see check/where.ts;
 * the caller checks it against a server's catalog for volatile calls, as restoreAnonymizedBackup does). The
 * rows are deleted before the dump's constraints are created: `cascade` is not applied on a stream, and a row
 * of another table referencing a deleted row makes its foreign key fail when the dump creates it (fail-closed).
 * The deleted rows' masked values stay in the table's files until vacuumed; their originals never reach them.
 * Without a secret, a random key of this run keys the fakes (announced by an `anonymize:random-key` event).
 *
 * @example
 * await anonymizeStream({ input: process.stdin, output: process.stdout, preset: "odoo", secret });
 */
export async function anonymizeStream(options: AnonymizeStreamOptions): Promise<AnonymizeStreamReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  const rules = resolveRulesSource(options);
  const given = options.secret ?? rules.secret;
  // A random key anonymizes as well as a secret; only the repeatability across runs is lost, and said.
  const secret = given || randomBytes(32).toString("base64");
  if (!given) options.onEvent?.({ type: "anonymize:random-key" });
  const anonymizer = new Anonymizer({ secret, locale: rules.locale });
  const arena = referenceOnly(options.reference) ? undefined : new Arena();
  const filter = new SqlDumpFilter(rules, anonymizer, arena, options.onEvent ?? (() => {}), options.maxTextBytes ?? MAX_TEXT_BYTES);
  await pipeline(options.input, filter, options.output, { signal: options.signal ?? new AbortController().signal });
  return {
    ok: true,
    durationMs: durationSince(start),
    checks: [
      { name: "coverage", status: "ok", detail: `${filter.tables.length} table(s) with data, every column covered` },
      given ? { name: "key", status: "ok", detail: "fakes keyed by the given secret" } : { name: "key", status: "ok", detail: "no secret given: a random key for this run, so fakes differ from run to run" },
    ],
    tables: filter.tables,
    rows: filter.tables.reduce((n, t) => n + t.rows, 0),
    bytesIn: filter.bytesIn,
    bytesOut: filter.bytesOut,
    fakeValues: anonymizer.fakeValues,
    randomKey: !given,
  };
}

const KEPT_TYPES = /^(smallint|integer|bigint|numeric|decimal|real|double precision|boolean|date|time|timestamp|interval|money|oid|serial|bigserial)\b/;

function category(type: string): string {
  const t = type.toLowerCase();
  if (t.endsWith("]")) return "A";
  if (KEPT_TYPES.test(t)) return t.startsWith("interval") ? "T" : t.startsWith("bool") ? "B" : /^(date|time)/.test(t) ? "D" : "N";
  if (/^(text|character|varchar|char|citext|name)\b/.test(t)) return "S";
  return "U";
}

/** Splits `a, "b c", "d""e"` into identifiers. */
function parseIdentList(s: string): string[] {
  const out: string[] = [];
  const re = /\s*(?:"((?:[^"]|"")*)"|([^,\s]+))\s*(?:,|$)/gy;
  for (let m = re.exec(s); m && m[0] !== ""; m = re.exec(s)) out.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
  return out;
}

/** `public.res_partner` / `"My Schema"."T"` → [schema, table]. */
function parseQualified(s: string): [string, string] {
  const parts: string[] = [];
  const re = /(?:"((?:[^"]|"")*)"|([^."]+))\.?/gy;
  for (let m = re.exec(s); m && m[0] !== ""; m = re.exec(s)) parts.push(m[1] !== undefined ? m[1].replace(/""/g, '"') : m[2]!);
  return parts.length >= 2 ? [parts[0]!, parts[1]!] : ["public", parts[0] ?? s];
}

const COPY_HEADER = /^COPY ((?:"(?:[^"]|"")*"|[^\s(."]+)(?:\.(?:"(?:[^"]|"")*"|[^\s(."]+))?) \((.*)\) FROM stdin;$/;
const CREATE_TABLE = /^CREATE (?:UNLOGGED )?TABLE ((?:"(?:[^"]|"")*"|[^\s(."]+)(?:\.(?:"(?:[^"]|"")*"|[^\s(."]+))?) \($/;
/** The line after a `CREATE TABLE`'s closing `)` when it inherits: `INHERITS (public.ir_actions);`. */
const INHERITS = /^INHERITS \((.*)\);$/;
const QUALIFIED = /(?:"(?:[^"]|"")*"|[^\s(.",]+)(?:\.(?:"(?:[^"]|"")*"|[^\s(.",]+))?/g;
const COLUMN_LINE = /^\s+("(?:[^"]|"")*"|[a-zA-Z_][\w$]*) (.+?),?$/;

class SqlDumpFilter extends Transform {
  readonly tables: AnonymizeStreamReport["tables"] = [];
  bytesIn = 0;
  bytesOut = 0;
  private readonly lines = new LineChunks("the dump");
  /** Output of the current chunk, as a byte string (see ByteText). */
  private out = "";
  private mode: "sql" | "copy" | "drop" = "sql";
  private creating: { key: string; columns: Map<string, string> } | undefined;
  private readonly types = new Map<string, Map<string, string>>();
  /** Parents of each table that inherits (`schema.table` keys), from `INHERITS (…)`. */
  private readonly parents = new Map<string, string[]>();
  /** The table whose `CREATE TABLE` just closed with a bare `)`: an `INHERITS` line may follow. */
  private justClosed: string | undefined;
  private copy: { tr: RowRewriter | undefined; entry: AnonymizeStreamReport["tables"][number]; started: number; after?: string } | undefined;
  private lastEmit = 0;

  constructor(
    private readonly rules: Rules,
    private readonly anonymizer: Anonymizer,
    private readonly arena: Arena | undefined,
    private readonly onEvent: (e: StreamEvent) => void,
    private readonly maxTextBytes: number,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.bytesIn += chunk.length;
      const whole = this.lines.push(chunk);
      if (whole) {
        eachRun(
          whole,
          this.maxTextBytes,
          (bt) => {
            const { text } = bt;
            let pos = 0;
            for (let nl = text.indexOf("\n", pos); nl !== -1; nl = text.indexOf("\n", pos)) {
              this.line(bt, pos, nl);
              pos = nl + 1;
            }
          },
          (buf, start, end) => this.hugeLine(buf, start, end),
        );
      }
      this.flushOut(cb);
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    try {
      if (this.mode !== "sql") throw new OperationFailedError("the dump ends inside a COPY block (truncated input?)", { code: "COPY_FORMAT" });
      const rest = this.lines.rest();
      if (rest) this.out += rest.toString("latin1");
      this.flushOut(cb);
    } catch (e) {
      cb(e as Error);
    }
  }

  private flushOut(cb: TransformCallback): void {
    this.sendText();
    cb();
  }

  private sendText(): void {
    if (!this.out) return;
    this.send(Buffer.from(this.out, "latin1"));
    this.out = "";
  }

  private send(data: Buffer): void {
    if (!data.length) return;
    this.bytesOut += data.length;
    this.push(data);
  }

  /** A line too big for a string (see MAX_TEXT_BYTES): a data row rewritten on bytes, or passed or dropped. */
  private hugeLine(buf: Buffer, start: number, end: number): void {
    if (this.mode === "sql") {
      // Statements are read as text (COPY headers, CREATE TABLE): only data rows get this long in a real dump.
      this.line(byteText(buf.subarray(start, end + 1)), 0, end - start);
      return;
    }
    this.sendText();
    const c = this.countRow(end - start + 1);
    if (this.mode === "drop") return;
    for (const part of c.tr ? c.tr.rowBytes(buf, start, end) : [buf.subarray(start, end + 1)]) this.send(part);
  }

  /** Counts a data row of the current COPY block, reporting progress every 16384 rows. */
  private countRow(bytes: number): NonNullable<SqlDumpFilter["copy"]> {
    const c = this.copy!;
    c.entry.rows++;
    c.entry.bytes += bytes;
    if ((c.entry.rows & 0x3fff) === 0) this.progress();
    return c;
  }

  private line(bt: ByteText, start: number, nl: number): void {
    const { buf, text } = bt;
    if (this.mode !== "sql") {
      // End of data: a line holding only "\." (pg_dump writes it right after the rows).
      if (nl - start === 2 && text.charCodeAt(start) === 0x5c && text.charCodeAt(start + 1) === 0x2e) {
        const after = this.endCopy();
        this.out += text.slice(start, nl + 1);
        if (after) this.out += after;
        return;
      }
      const c = this.countRow(nl - start + 1);
      if (this.mode === "copy") {
        this.out += c.tr ? c.tr.row(bt, start, nl) : text.slice(start, nl + 1);
      }
      return;
    }
    // SQL text: passed through; COPY headers and CREATE TABLE blocks are read on the way.
    this.out += text.slice(start, nl + 1);
    const first = buf[start];
    const closed = this.justClosed;
    this.justClosed = undefined;
    if (first !== 0x43 /* C */ && first !== 0x20 && first !== 0x09 && first !== 0x29 /* ) */ && first !== 0x49 /* I */) return;
    const sql = buf.toString("utf8", start, nl);
    if (closed && first === 0x49) {
      const m = INHERITS.exec(sql);
      if (m) this.parents.set(closed, (m[1]!.match(QUALIFIED) ?? []).map((q) => parseQualified(q).join(".")));
      return;
    }
    if (this.creating) {
      if (sql.startsWith(")")) {
        this.types.set(this.creating.key, this.creating.columns);
        if (sql === ")") this.justClosed = this.creating.key;
        this.creating = undefined;
      } else {
        const m = COLUMN_LINE.exec(sql);
        if (m && !/^\s+CONSTRAINT\s/.test(sql)) {
          const name = m[1]!.startsWith('"') ? m[1]!.slice(1, -1).replace(/""/g, '"') : m[1]!;
          const type = m[2]!.replace(/\s+(NOT NULL|NULL|DEFAULT .*|COLLATE .*|GENERATED .*|CONSTRAINT .*)$/i, "").trim();
          this.creating.columns.set(name, type);
        }
      }
      return;
    }
    let m = CREATE_TABLE.exec(sql);
    if (m) {
      const [schema, table] = parseQualified(m[1]!);
      this.creating = { key: `${schema}.${table}`, columns: new Map() };
      return;
    }
    m = COPY_HEADER.exec(sql);
    if (m) this.startCopy(m[1]!, m[2]!);
  }

  private startCopy(qualified: string, columnList: string): void {
    const [schema, table] = parseQualified(qualified);
    const ruleName = schema === "public" ? table : `${schema}.${table}`;
    const columns = parseIdentList(columnList);
    const plan = tablePlan(this.rules, ruleName);
    const entry: AnonymizeStreamReport["tables"][number] = { table: ruleName, action: plan.action, rows: 0, bytes: 0 };
    this.tables.push(entry);
    if (plan.action !== "copy") {
      this.mode = "drop";
      this.copy = { tr: undefined, entry, started: performance.now() };
      return;
    }
    const key = `${schema}.${table}`;
    const uncovered: UncoveredColumn[] = [];
    const transforms: (ColumnTransform | undefined)[] = columns.map((c) => {
      const type = this.columnType(key, c) ?? "unknown";
      const info = { name: c, type, category: category(type) };
      const cov = columnCoverage(this.rules, ruleName, c, info);
      if (!cov.covered) {
        const s = suggestRule(info, ruleName);
        uncovered.push({ table: ruleName, column: c, type, suggestion: s.rule, reason: s.reason });
        return undefined;
      }
      return passesThrough(cov.rule) ? undefined : this.anonymizer.compile(cov.rule);
    });
    if (uncovered.length) {
      throw new OperationFailedError(
        `refusing to anonymize: ${uncovered.length} column(s) of ${ruleName} not covered by any rule: ${uncovered.map((u) => u.column).join(", ")}\nsuggested rules:\n${suggestedRulesYaml(uncovered)}`,
        { code: "UNCOVERED_COLUMNS", details: { uncovered } },
      );
    }
    const after = plan.where === undefined ? undefined : this.whereDelete(ruleName, `${quoteIdent(schema)}.${quoteIdent(table)}`, plan.where, columns.filter((_, i) => transforms[i]));
    if (plan.where !== undefined) entry.where = plan.where;
    this.mode = "copy";
    this.copy = {
      tr: transforms.some(Boolean) ? new RowRewriter({ table: ruleName, columns, transforms }, this.arena) : undefined,
      entry,
      started: performance.now(),
      ...(after ? { after } : {}),
    };
  }

  /** A column's type from the table's `CREATE TABLE`, else from the tables it inherits from (depth-first, as PostgreSQL merges them). */
  private columnType(key: string, column: string, seen = new Set<string>()): string | undefined {
    const own = this.types.get(key)?.get(column);
    if (own !== undefined || seen.has(key)) return own;
    seen.add(key);
    for (const parent of this.parents.get(key) ?? []) {
      const t = this.columnType(parent, column, seen);
      if (t !== undefined) return t;
    }
    return undefined;
  }

  /** The statement applying a table's `where` after its COPY block (see anonymizeStream), or a UsageError. */
  private whereDelete(ruleName: string, sqlName: string, where: string, transformed: string[]): string {
    const scan = scanWhere(where);
    if ("error" in scan) throw new UsageError(`${ruleName}: where ${JSON.stringify(where)} is refused: ${scan.error}`, { code: "WHERE_REFUSED" });
    const names = new Set(scan.names);
    const read = transformed.filter((c) => names.has(c));
    if (read.length) {
      throw new UsageError(
        `${ruleName}: where ${JSON.stringify(where)} reads ${read.join(", ")}, which the rules transform: on a stream the where is applied to the restored (anonymized) rows, so it would keep other rows than the database-to-database engine; filter on columns that are kept, or use the database-to-database mode`,
        { code: "WHERE_READS_TRANSFORMED", details: { table: ruleName, columns: read } },
      );
    }
    // On lines of its own, as check/where.ts validates it: nothing written after it can be taken into it.
    return `DELETE FROM ONLY ${sqlName} WHERE NOT COALESCE((\n${where.trim()}\n), false);\n`;
  }

  /** Ends the COPY block; returns what goes right after its `\.` (a where's DELETE). */
  private endCopy(): string | undefined {
    const c = this.copy!;
    const durationMs = durationSince(c.started);
    this.onEvent({ type: "anonymize:table", table: c.entry.table, rows: c.entry.rows, bytes: c.entry.bytes, durationMs, rowsPerSec: Math.round(c.entry.rows / Math.max(0.001, durationMs / 1000)) });
    this.copy = undefined;
    this.mode = "sql";
    return c.after;
  }

  private progress(): void {
    const now = performance.now();
    if (now - this.lastEmit < 500 || !this.copy) return;
    this.lastEmit = now;
    const rows = this.tables.reduce((n, t) => n + t.rows, 0);
    const secs = Math.max(0.001, (now - this.copy.started) / 1000);
    this.onEvent({ type: "anonymize:progress", rows, bytes: this.bytesIn, rowsPerSec: Math.round(this.copy.entry.rows / secs), table: this.copy.entry.table });
  }
}

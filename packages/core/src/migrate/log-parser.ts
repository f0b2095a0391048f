/**
 * Odoo's log format, one record per line, with continuation lines (tracebacks, multi-line messages) after
 * it (ODOO-FACTS.md "Log format"):
 * `2026-11-27 08:54:41,967 17092 ERROR odoo_prod odoo.modules.loading: Some modules have inconsistent states…`
 */

/** Levels Odoo logs with. */
export type OdooLogLevel = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

/** The exception a traceback ends with (the last one of a chain). */
export interface OdooException {
  /** Exception class as Python prints it: `SyntaxError`, `odoo.tools.convert.ParseError`. */
  type: string;
  /** The message, all its lines (a ParseError's message spans many). */
  message: string;
}

/** One log record with everything that followed it up to the next record. */
export interface OdooLogRecord {
  /** `2026-11-27 08:54:41,967`, as logged (server local time). */
  timestamp: string;
  pid: number;
  level: OdooLogLevel;
  /** Database name; `null` when Odoo logged `?` (no database yet). */
  database: string | null;
  logger: string;
  /** The message's first line, without Odoo's trailing space. */
  message: string;
  /** Lines after the record line (traceback, rest of a multi-line message). */
  extraLines: string[];
  /** The final exception when the extra lines hold a Python traceback. */
  exception?: OdooException;
  /** 1-based line number of the record line in its stream. */
  line: number;
}

const LEVELS = new Set<string>(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]);
// date time,ms pid LEVEL db logger: message — the database is `?` before one is selected. Odoo's own format
// is "%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s %(perf_info)s".
const RECORD = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (\d+) ([A-Z]+) (\S+) ([^\s:]+): ?(.*)$/;
// Colour codes Odoo adds when stderr is a terminal (ColoredFormatter).
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-9;]*m/g;

/**
 * Parses one record line; `undefined` for a continuation line.
 *
 * @example parseOdooLogLine("2026-11-27 08:54:23,339 16975 WARNING odoo_prod odoo.modules.loading: invalid module names, ignored: lab_demoo ")
 * // { level: "WARNING", database: "odoo_prod", logger: "odoo.modules.loading", message: "invalid module names, ignored: lab_demoo", ... }
 */
export function parseOdooLogLine(text: string, line = 0): OdooLogRecord | undefined {
  const m = RECORD.exec(text.includes("\x1b") ? text.replace(ANSI, "") : text);
  if (!m || !LEVELS.has(m[3]!)) return undefined;
  return {
    timestamp: m[1]!,
    pid: Number(m[2]),
    level: m[3] as OdooLogLevel,
    database: m[4] === "?" ? null : m[4]!,
    logger: m[5]!,
    message: m[6]!.trimEnd(),
    extraLines: [],
    line,
  };
}

/**
 * Streaming parser: feed it lines as they arrive, receive complete records (a record is complete when the
 * next one starts, or at `end()`). Lines before the first record (a Python crash before logging was set up)
 * are kept as `preamble`.
 *
 * @example
 * const parser = new OdooLogParser((r) => console.log(r.level, r.message));
 * for (const l of text.split("\n")) parser.push(l);
 * parser.end();
 */
export class OdooLogParser {
  private current: OdooLogRecord | undefined;
  private lineNo = 0;
  /** Non-record lines seen before the first record. */
  readonly preamble: string[] = [];

  /**
   * @param onRecord receives each complete record (with its continuation lines).
   * @param onRecordStart receives each record as soon as its first line arrives (continuation lines still to
   *   come): for progress, which must not wait for the next record (a module may take minutes to load).
   */
  constructor(
    private readonly onRecord: (record: OdooLogRecord) => void,
    private readonly onRecordStart?: (record: OdooLogRecord) => void,
  ) {}

  /** Feeds one line (without its newline). */
  push(text: string): void {
    this.lineNo++;
    const record = parseOdooLogLine(text, this.lineNo);
    if (record) {
      this.flush();
      this.current = record;
      this.onRecordStart?.(record);
    } else if (this.current) {
      this.current.extraLines.push(text);
    } else if (text.trim() !== "") {
      this.preamble.push(text);
    }
  }

  /** Emits the last record. */
  end(): void {
    this.flush();
  }

  private flush(): void {
    const r = this.current;
    if (!r) return;
    this.current = undefined;
    // Odoo's trailing space and blank lines after a traceback carry nothing.
    while (r.extraLines.length > 0 && r.extraLines[r.extraLines.length - 1]!.trim() === "") r.extraLines.pop();
    const exception = finalException(r.extraLines);
    if (exception) r.exception = exception;
    this.onRecord(r);
  }
}

/**
 * Parses a whole log text into records.
 *
 * @example const records = parseOdooLog(readFileSync("odoo.log", "utf8"));
 */
export function parseOdooLog(text: string): OdooLogRecord[] {
  const out: OdooLogRecord[] = [];
  const parser = new OdooLogParser((r) => out.push(r));
  for (const l of text.split(/\r?\n/)) parser.push(l);
  parser.end();
  return out;
}

const TRACEBACK = "Traceback (most recent call last):";
const CHAIN_SEPARATORS = [
  "During handling of the above exception, another exception occurred:",
  "The above exception was the direct cause of the following exception:",
];
const EXCEPTION_HEADER = /^([A-Za-z_][\w.]*)(?::\s?(.*))?$/;

/**
 * The last exception of a Python traceback (chained exceptions print the one that escaped last). After the
 * frames (`  File …` lines and their indented source), the first line without indentation starts the
 * exception; everything up to the next chain separator is its message.
 */
function finalException(lines: readonly string[]): OdooException | undefined {
  const start = lines.lastIndexOf(TRACEBACK);
  if (start < 0) return undefined;
  let i = start + 1;
  while (i < lines.length && (lines[i]!.startsWith("  ") || lines[i]!.trim() === "")) i++;
  const header = lines[i];
  if (header === undefined) return undefined;
  const m = EXCEPTION_HEADER.exec(header);
  if (!m) return { type: "unknown", message: lines.slice(i).join("\n").trim() };
  const rest: string[] = [];
  for (let j = i + 1; j < lines.length && !CHAIN_SEPARATORS.includes(lines[j]!); j++) rest.push(lines[j]!);
  const message = [m[2] ?? "", ...rest].join("\n").trim();
  return { type: m[1]!, message };
}

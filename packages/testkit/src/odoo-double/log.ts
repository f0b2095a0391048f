/**
 * Odoo's log format, as odoo-bin writes it to stderr without a logfile:
 * `%(asctime)s %(pid)s %(levelname)s %(dbname)s %(name)s: %(message)s %(perf_info)s` — perf_info is empty here,
 * hence the trailing space every real line has. Tracebacks follow the record on extra lines.
 */
export type Level = "DEBUG" | "INFO" | "WARNING" | "ERROR" | "CRITICAL";

const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** `2026-11-27 08:54:41,967` in local time, like Python's logging. */
export function odooTimestamp(d = new Date()): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())},${pad(d.getMilliseconds(), 3)}`;
}

/** Writes Odoo log records to a stream (stderr by default). */
export class OdooLogger {
  db = "?";
  constructor(private readonly write: (s: string) => void = (s) => process.stderr.write(s)) {}

  log(level: Level, logger: string, message: string, traceback?: string): void {
    let s = `${odooTimestamp()} ${process.pid} ${level} ${this.db} ${logger}: ${message} \n`;
    if (traceback) s += traceback.endsWith("\n") ? traceback : `${traceback}\n`;
    this.write(s);
  }
  info(logger: string, message: string): void {
    this.log("INFO", logger, message);
  }
  warning(logger: string, message: string): void {
    this.log("WARNING", logger, message);
  }
  error(logger: string, message: string, traceback?: string): void {
    this.log("ERROR", logger, message, traceback);
  }
  critical(logger: string, message: string, traceback?: string): void {
    this.log("CRITICAL", logger, message, traceback);
  }
}

/** Python's repr of a list of strings: `['a', 'b']`. */
export function pyList(items: string[]): string {
  return `[${items.map((s) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`).join(", ")}]`;
}

/** Seconds with two decimals, as Odoo prints load times. */
export function secs(ms: number, digits = 2): string {
  return (ms / 1000).toFixed(digits);
}

/** `json.dumps` with Python's default separators (`", "` and `": "`). @example pyJson({ a: [1, 2] }) // '{"a": [1, 2]}' */
export function pyJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pyJson).join(", ")}]`;
  if (v && typeof v === "object")
    return `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}: ${pyJson(x)}`)
      .join(", ")}}`;
  return JSON.stringify(v ?? null);
}

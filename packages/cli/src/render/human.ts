import { formatDuration, type Check } from "@odoo-deploy/core";
import { shortenDbUrls } from "./db-url.js";

/** Colours only on a terminal, and not when NO_COLOR is set to anything but "" (no-color.org) or TERM=dumb. */
const useColor = (stream: { isTTY?: boolean }, env: Record<string, string | undefined>) =>
  stream.isTTY === true && (env.NO_COLOR === undefined || env.NO_COLOR === "") && env.TERM !== "dumb";

/**
 * Human output on stderr: lines, statuses with symbols, key/value tables, and progress: a bar that rewrites
 * itself on a terminal, a plain line at most every 5 seconds elsewhere (CI logs). Everything written passes
 * the redactor, and connection strings are shown short (`odoo on db.internal:5432`). Disabled (`--quiet`),
 * it writes nothing: errors are written by the caller, not through it.
 */
export class HumanOutput {
  private progressShown = false;
  private lastProgressAt = 0;
  private readonly color: boolean;

  constructor(
    private readonly stream: { write(s: string): unknown; isTTY?: boolean; columns?: number },
    env: Record<string, string | undefined>,
    private readonly redact: (s: string) => string,
    private readonly enabled = true,
  ) {
    this.color = useColor(stream, env);
  }

  /** Writes one line. */
  line(text = ""): void {
    this.raw(shortenDbUrls(text));
  }

  /** Writes one line as it is (redacted), connection strings included: for values shown on purpose (`config show`). */
  raw(text: string): void {
    if (!this.enabled) return;
    this.clearProgress();
    this.stream.write(`${this.redact(text)}\n`);
  }

  /** Bold heading line. */
  heading(text: string): void {
    this.line(this.paint(text, "1"));
  }

  /** Dimmed text. */
  dim(text: string): string {
    return this.paint(text, "2");
  }

  /** A check or step as `✔ name  detail (12ms)`. */
  check(c: Check): void {
    const symbol = c.status === "ok" ? this.paint("✔", "32") : c.status === "failed" ? this.paint("✘", "31") : this.paint("–", "33");
    const time = c.durationMs === undefined ? "" : this.dim(` (${formatDuration(c.durationMs)})`);
    this.line(`  ${symbol} ${c.name}${c.detail ? `  ${c.detail}` : ""}${time}`);
  }

  /** Aligned `key: value` lines; undefined values are left out. */
  table(rows: [string, unknown][]): void {
    const shown = rows.filter(([, v]) => v !== undefined);
    const width = Math.max(0, ...shown.map(([k]) => k.length));
    for (const [k, v] of shown) this.line(`  ${k.padEnd(width)}  ${typeof v === "string" ? v : JSON.stringify(v)}`);
  }

  /** The closing verdict line. */
  verdict(ok: boolean, text: string): void {
    this.line(ok ? this.paint(`OK ${text}`, "32") : this.paint(`FAILED ${text}`, "31"));
  }

  /**
   * Progress: on a terminal `label [#####-----] 42% detail`, rewriting itself; elsewhere `label 42% detail`
   * at most every 5 seconds (and at 100 %), so CI logs stay readable and free of control characters.
   */
  progress(label: string, fraction: number | undefined, detail = ""): void {
    if (!this.enabled) return;
    const now = Date.now();
    const f = fraction === undefined ? undefined : Math.max(0, Math.min(1, fraction));
    const percent = f === undefined ? "" : ` ${Math.round(f * 100)}%`;
    const bar = f === undefined || !this.stream.isTTY ? "" : ` [${"#".repeat(Math.round(f * 20))}${"-".repeat(20 - Math.round(f * 20))}]`;
    const text = this.redact(shortenDbUrls(`${label}${bar}${percent} ${detail}`.trimEnd()));
    if (this.stream.isTTY) {
      const cols = this.stream.columns ?? 100;
      this.stream.write(`\r\x1b[K${text.slice(0, cols - 1)}`);
      this.progressShown = true;
    } else if (now - this.lastProgressAt >= 5000 || fraction === 1) {
      this.lastProgressAt = now;
      this.stream.write(`${text}\n`);
    }
  }

  /** Removes a progress line from a terminal before normal output. */
  clearProgress(): void {
    if (this.progressShown) {
      this.stream.write("\r\x1b[K");
      this.progressShown = false;
    }
  }

  private paint(text: string, code: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}

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
  /** Lines of progress on the terminal now (0: none), rewritten in place and cleared before normal output. */
  private progressHeight = 0;
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
      this.stream.write(`${this.rewind()}${text.slice(0, cols - 1)}`);
      this.progressHeight = 1;
    } else if (now - this.lastProgressAt >= 5000 || fraction === 1) {
      this.lastProgressAt = now;
      this.stream.write(`${text}\n`);
    }
  }

  /** Whether progress rewrites itself here (a terminal), so a renderer can show more than a throttled line. */
  get interactive(): boolean {
    return this.enabled && this.stream.isTTY === true;
  }

  /**
   * Several progress lines at once (an overall bar and one per table in flight), rewritten in place on a
   * terminal; elsewhere nothing — CI logs get the caller's own lines instead. Each line is cut to the width.
   */
  progressLines(lines: string[]): void {
    if (!this.interactive || lines.length === 0) return;
    const cols = this.stream.columns ?? 100;
    const text = lines.map((l) => this.redact(shortenDbUrls(l)).slice(0, cols - 1)).join("\n");
    this.stream.write(`${this.rewind()}${text}`);
    this.progressHeight = lines.length;
  }

  /** Removes progress from a terminal before normal output. */
  clearProgress(): void {
    if (this.progressHeight > 0) {
      this.stream.write(this.rewind());
      this.progressHeight = 0;
    }
  }

  /**
   * Back to the start of the progress shown, erased: the line (`\r` + erase line), or for several lines the
   * cursor up to the first and everything below erased.
   */
  private rewind(): string {
    return this.progressHeight > 1 ? `\x1b[${this.progressHeight - 1}A\r\x1b[J` : "\r\x1b[K";
  }

  private paint(text: string, code: string): string {
    return this.color ? `\x1b[${code}m${text}\x1b[0m` : text;
  }
}

import { formatDuration, type Check } from "@odoo-deploy/core";

const useColor = (stream: { isTTY?: boolean }, env: Record<string, string | undefined>) =>
  Boolean(stream.isTTY) && env.NO_COLOR === undefined && env.TERM !== "dumb";

/**
 * Human output on stderr: lines, statuses with symbols, key/value tables, and a progress line that rewrites
 * itself on a terminal and is throttled elsewhere (CI logs). Everything written passes the redactor.
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
   * A progress line: `label [#####-----] 42% detail`. On a terminal it rewrites itself; elsewhere one line
   * at most every 5 seconds, so CI logs stay readable.
   */
  progress(label: string, fraction: number | undefined, detail = ""): void {
    if (!this.enabled) return;
    const now = Date.now();
    const bar =
      fraction === undefined
        ? ""
        : (() => {
            const f = Math.max(0, Math.min(1, fraction));
            const n = Math.round(f * 20);
            return ` [${"#".repeat(n)}${"-".repeat(20 - n)}] ${Math.round(f * 100)}%`;
          })();
    const text = this.redact(`${label}${bar} ${detail}`.trimEnd());
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

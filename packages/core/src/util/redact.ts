/**
 * Keeping secrets out of messages, logs and reports.
 *
 * Two layers: {@link redactText} knows the *shapes* secrets take in text (a password in a URL's userinfo, a
 * `password=` parameter), and a {@link Redactor} additionally knows *values* declared secret at run time (env
 * values, passwords read from config) and replaces them wherever they appear.
 */

const MASK = "***";

// scheme://user:password@host — the password is everything between the first ':' after '//' and the last '@'
// of the authority. Passwords may contain '@' or ':' when not percent-encoded, so match greedily up to the
// last '@' before the path.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#]*)@/gi;
// password=... in URL query strings and libpq keyword/value conninfo strings.
const PASSWORD_PARAM = /\b(password|passwd|pass|pwd|secret|token|api[_-]?key)(\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s&'";]+)/gi;

/**
 * Replaces passwords in URLs and `password=` parameters by `***`.
 *
 * @example redactText("postgres://odoo:s3cret@db/prod") // "postgres://odoo:***@db/prod"
 */
export function redactText(text: string): string {
  return text
    .replace(URL_USERINFO, (_m, scheme: string, user: string) => `${scheme}${user}:${MASK}@`)
    .replace(PASSWORD_PARAM, (_m, key: string, eq: string) => `${key}${eq}${MASK}`);
}

/**
 * A connection URL fit to show: password removed, everything else kept.
 *
 * @example redactUrl("postgresql://u:p@h:5432/db?sslmode=require") // "postgresql://u:***@h:5432/db?sslmode=require"
 */
export function redactUrl(url: string): string {
  return redactText(url);
}

/**
 * Remembers secret values and removes them (and secret-shaped text) from strings and JSON values.
 *
 * @example
 * const r = new Redactor(); r.addSecret(process.env.PGPASSWORD);
 * console.error(r.text(message));
 */
export class Redactor {
  private readonly secrets = new Set<string>();

  /** Declares a value secret. Values shorter than 4 characters are ignored: masking them would shred text. */
  addSecret(value: string | undefined | null): this {
    if (value && value.length >= 4) {
      this.secrets.add(value);
      // Also catch the percent-encoded form, as it appears inside URLs.
      const encoded = encodeURIComponent(value);
      if (encoded !== value) this.secrets.add(encoded);
    }
    return this;
  }

  /** Declares the password of a connection URL secret (if it has one). */
  addUrl(url: string | undefined | null): this {
    if (!url) return this;
    try {
      const u = new URL(url);
      if (u.password) this.addSecret(decodeURIComponent(u.password));
    } catch {
      // Not a WHATWG URL (e.g. a libpq keyword string): shape-based redaction still applies.
    }
    return this;
  }

  /** Text with every known secret and secret-shaped substring masked. */
  text(input: string): string {
    let out = input;
    // Longest first, so a secret containing another is masked whole.
    for (const s of [...this.secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK);
    return redactText(out);
  }

  /** A deep copy of a JSON-like value with every string redacted. */
  value<T>(input: T): T {
    return this.walk(input) as T;
  }

  private walk(v: unknown): unknown {
    if (typeof v === "string") return this.text(v);
    if (Array.isArray(v)) return v.map((x) => this.walk(x));
    if (v && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.walk(x)]));
    }
    return v;
  }
}

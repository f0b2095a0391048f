/**
 * Keeping secrets out of messages, logs and reports.
 *
 * The policy: a secret is masked **where it stands**, everywhere, whatever its value — and **by value** only
 * where the value cannot be ordinary text.
 *
 * - Positions ({@link redactText}): the password of any `scheme://user:password@host` (however malformed: an
 *   unencoded `#`, `/`, `?`, `@` or space in it does not end it early), `key=value` and `key = value` where the
 *   key names a secret (`password=` in libpq conninfo strings and URL queries, `PGPASSWORD=…` env assignments,
 *   `admin_passwd = …` in odoo.conf, `--db_password=…`), `"key": "value"` (JSON) and `key: 'value'` forms,
 *   unquoted `password: value` lines (password, passwd, passphrase only: `token:` and `secret:` are column
 *   names and config-issue paths in ordinary output), `--password VALUE` flags, `Authorization:` headers and
 *   PEM private keys.
 *   A key names a secret when its last word is or ends with password, passwd, passphrase or secret, or is pass,
 *   pwd, token, credential(s), authorization, or `…key` after api / private / secret (`PGPASSWORD`,
 *   `db_password`, `dbPassword`, `X-Api-Key`; not `passwordFile`, `secretEnv` or `privateKeyPath`, which name
 *   where a secret is, not the secret).
 * - Known values ({@link Redactor}): a value declared secret (an env value, a password from the config) is
 *   also masked wherever it appears, raw or percent-encoded, when it is *distinctive*: at least 8 characters,
 *   no whitespace, and at least three of lower-case letters, upper-case letters, digits and other characters
 *   (`Sup3r-Secret`, `xK9#mq2LpZ`), or at least 16 letters and digits with both (hex or base32 tokens).
 *   Anything else — `odoo`, `admin`, `postgres`, `1234`, `odoo-bin`, a path, a word — can be ordinary text:
 *   masking it by value would cut `odoo-bin`, `/opt/odoo` and `user odoo` apart (and would let whoever chooses
 *   a password hide words of your reports), so such a value is masked only at its positions.
 * - Known URLs ({@link Redactor.addUrl}): a URL met in argv or config is shown redacted wherever it appears
 *   whole, even where its shape defeats the patterns (a space in the password).
 * - Config ({@link Redactor.config}): keys that name secrets are masked by key whatever the value's length.
 *
 * When in doubt the patterns mask too much rather than too little (a URL with an `@` in its query loses the
 * part before it).
 */

const MASK = "***";

// Secret names: the last word of a key, split at `_ - .` and camelCase humps.
const SECRET_SUFFIX = /(password|passwd|passphrase|secret)$/;
const SECRET_WORDS = new Set(["pass", "pwd", "token", "credential", "credentials", "authorization", "apikey", "privatekey", "secretkey"]);
const KEY_QUALIFIERS = new Set(["api", "private", "secret"]);
// Names whose values are secrets even written unquoted after `:` (a YAML line). `token:` and `secret:` are
// too often a column name (suggested anonymization rules) or a config issue's path (`secret: expected a
// string`) in ordinary output to be masked there.
const STRONG_SUFFIX = /(password|passwd|passphrase|authorization)$/;

function keyWords(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/**
 * Whether a key (config key, env variable, query parameter, JSON property, flag) names a secret.
 *
 * @example isSecretKey("PGPASSWORD") // true; isSecretKey("privateKeyPath") // false
 */
export function isSecretKey(key: string): boolean {
  const words = keyWords(key);
  const last = words[words.length - 1];
  if (!last) return false;
  if (SECRET_SUFFIX.test(last) || SECRET_WORDS.has(last)) return true;
  return last === "key" && words.slice(0, -1).some((w) => KEY_QUALIFIERS.has(w));
}

function isStrongSecretKey(key: string): boolean {
  const words = keyWords(key);
  return words.length > 0 && STRONG_SUFFIX.test(words[words.length - 1]!);
}

/**
 * Whether a secret value cannot be ordinary text, so masking it wherever it appears shreds nothing.
 *
 * @example isDistinctiveSecret("Sup3r-Secret") // true; isDistinctiveSecret("odoo") // false
 */
export function isDistinctiveSecret(value: string): boolean {
  if (value.length < 8 || /\s/.test(value)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(value)).length;
  if (classes >= 3) return true;
  return value.length >= 16 && /^[A-Za-z0-9]+$/.test(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value);
}

// ---------------------------------------------------------------------------------------------------------
// Positions

const PEM_PRIVATE_KEY = /-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----[\s\S]*?(?:-----END \1PRIVATE KEY-----|$)/g;
const SCHEME = /\b[a-z][a-z0-9+.-]*:\/\//gi;

const PORT = /\d*(?:[/?#\s]|$)/y;
const WHITESPACE = /\s/g;
/** How far the password of a URL whose run holds no `@` may reach across spaces, looking for one. */
const SPACED_PASSWORD_REACH = 256;

/**
 * `scheme://user:password@…` in free text: the password ends at the last `@` of its whitespace-free run.
 * Linear in the text: runs shared by several URLs are measured once.
 */
function maskUrlUserinfo(text: string): string {
  const cuts: [number, number][] = [];
  let runEnd = -1;
  let runLastAt = -1;
  SCHEME.lastIndex = 0;
  for (let m = SCHEME.exec(text); m; m = SCHEME.exec(text)) {
    const start = m.index + m[0].length;
    if (runEnd < start) {
      WHITESPACE.lastIndex = start;
      runEnd = WHITESPACE.exec(text)?.index ?? text.length;
      runLastAt = -1;
      for (let i = runEnd - 1; i >= start; i--) {
        if (text.charCodeAt(i) === 0x40) {
          runLastAt = i;
          break;
        }
      }
    }
    const end = runEnd;
    if (text[start] === "[") continue; // an IPv6 host: no userinfo
    const colon = text.indexOf(":", start);
    if (colon === -1 || colon >= end) continue;
    if (runLastAt > colon) {
      cuts.push([colon + 1, runLastAt]);
      continue;
    }
    PORT.lastIndex = colon + 1;
    if (runLastAt >= start || PORT.test(text)) continue; // host:port
    // Not a port, no `@` in the run: a password with whitespace in it, or one whose host went missing. The
    // password then runs to the last `@` nearby on the line (before any other URL), else to the end of the run.
    const ahead = text.slice(end, end + SPACED_PASSWORD_REACH).split("\n")[0]!;
    const nextUrl = ahead.search(/[a-z][a-z0-9+.-]*:\/\//i);
    const lastAt = (nextUrl === -1 ? ahead : ahead.slice(0, nextUrl)).lastIndexOf("@");
    cuts.push([colon + 1, lastAt === -1 ? end : end + lastAt]);
  }
  return applyCuts(text, cuts);
}

function applyCuts(text: string, cuts: [number, number][]): string {
  if (cuts.length === 0) return text;
  let out = "";
  let pos = 0;
  for (const [from, to] of cuts.sort((a, b) => a[0] - b[0])) {
    if (from < pos) continue;
    out += text.slice(pos, from) + MASK;
    pos = to;
  }
  return out + text.slice(pos);
}

/**
 * The end of a value written after `=` or a flag: quoted pieces (`'…'`, `"…"`, with backslash escapes and
 * shell `'\''` splices) and unquoted characters, up to whitespace (or, in a URL query, the next `&name=`).
 */
function valueEnd(text: string, from: number, inQuery: boolean): number {
  let i = from;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) break;
    if (inQuery && c === "&" && /^&[A-Za-z_][\w.-]*=/.test(text.slice(i, i + 64))) break;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== c) j += text[j] === "\\" ? 2 : 1;
      i = Math.min(j + 1, text.length);
    } else i += c === "\\" ? 2 : 1;
  }
  return Math.min(i, text.length);
}

// key=value, key = value (libpq, odoo.conf), --flag=value: found at the `=`, the key read backwards from it
// (a regex matching the key first backtracks quadratically on long runs of word characters).
const EQUALS = /=(?!=)/g;
const KEY_CHAR = /[A-Za-z0-9_-]/;
const MAX_KEY = 100;
// "key": "value" — JSON; the value a string.
const JSON_PAIR = /"([^"\\\n]{1,100})"(\s*):(\s*)"(?:[^"\\]|\\.)*"/g;
// key: 'value' / key: "value" — YAML, util.inspect.
const QUOTED_PAIR = /(?<![\w"])([A-Za-z_][\w-]*)([ \t]*):([ \t]*)('(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")/g;
// password: value — a YAML line; strong names only, the rest of the line.
const YAML_LINE = /(^|[\s{,])([A-Za-z_][\w-]*):([ \t]+)(?!['"])([^\n]*[^\s])/gm;
// --password VALUE (not --no-password, and not --password=VALUE, which the `=` scan takes).
const FLAG = /(^|\s)(--[A-Za-z][\w-]*)([ \t]+)(?=[^\s-])/g;

function maskAssignments(text: string): string {
  const cuts: [number, number][] = [];
  EQUALS.lastIndex = 0;
  for (let m = EQUALS.exec(text); m; m = EQUALS.exec(text)) {
    let keyEnd = m.index;
    while (keyEnd > 0 && (text[keyEnd - 1] === " " || text[keyEnd - 1] === "\t")) keyEnd--;
    let keyStart = keyEnd;
    while (keyStart > 0 && keyEnd - keyStart < MAX_KEY && KEY_CHAR.test(text[keyStart - 1]!)) keyStart--;
    if (keyStart === keyEnd || !isSecretKey(text.slice(keyStart, keyEnd))) continue;
    let from = m.index + 1;
    while (text[from] === " " || text[from] === "\t") from++;
    const before = text[keyStart - 1];
    const end = valueEnd(text, from, before === "?" || before === "&");
    if (end > from) cuts.push([from, end]);
    EQUALS.lastIndex = Math.max(EQUALS.lastIndex, end);
  }
  FLAG.lastIndex = 0;
  for (let m = FLAG.exec(text); m; m = FLAG.exec(text)) {
    const flag = m[2]!;
    if (flag.startsWith("--no-") || !isSecretKey(flag)) continue;
    const from = m.index + m[0].length;
    const end = valueEnd(text, from, false);
    if (end > from) cuts.push([from, end]);
  }
  return applyCuts(text, cuts);
}

function maskPairs(text: string): string {
  return text
    .replace(JSON_PAIR, (whole, key: string, s1: string, s2: string) => (isSecretKey(key) ? `"${key}"${s1}:${s2}"${MASK}"` : whole))
    .replace(QUOTED_PAIR, (whole, key: string, s1: string, s2: string, v: string) => (isSecretKey(key) ? `${key}${s1}:${s2}${v[0]}${MASK}${v[0]}` : whole))
    .replace(YAML_LINE, (whole, lead: string, key: string, sp: string) => (isStrongSecretKey(key) ? `${lead}${key}:${sp}${MASK}` : whole));
}

/**
 * Masks secrets by their position in text (see the module comment for the list): URL passwords, secret
 * `key=value` and `key: value` pairs, secret flags' values and private keys. Everything else is kept.
 *
 * @example redactText("postgres://odoo:odoo@db/odoo") // "postgres://odoo:***@db/odoo"
 */
export function redactText(text: string): string {
  if (text.length === 0) return text;
  let out = text.replace(PEM_PRIVATE_KEY, MASK);
  out = maskUrlUserinfo(out);
  out = maskAssignments(out);
  return maskPairs(out);
}

/** Where the password of a URL (the whole string) lies, leniently: between `user:` and the last `@`. */
function urlPasswordSpan(url: string): [number, number] | undefined {
  const prefix = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? (url.startsWith("//") ? "//" : "");
  const rest = url.slice(prefix.length);
  if (rest.startsWith("[")) return undefined;
  const colon = rest.indexOf(":");
  if (colon === -1) return undefined;
  const at = rest.lastIndexOf("@");
  if (at > colon) return [prefix.length + colon + 1, prefix.length + at];
  if (at !== -1 || !prefix || /^\d*(?:[/?#]|$)/.test(rest.slice(colon + 1))) return undefined;
  return [prefix.length + colon + 1, url.length]; // `scheme://user:secret` with no host
}

/**
 * A URL (the whole string, however malformed) fit to show: the password removed, everything else kept.
 *
 * @example redactUrl("postgresql://u:p#w@h:5432/db?sslmode=require") // "postgresql://u:***@h:5432/db?sslmode=require"
 */
export function redactUrl(url: string): string {
  const span = urlPasswordSpan(url);
  const shown = span ? `${url.slice(0, span[0])}${MASK}${url.slice(span[1])}` : url;
  return redactText(shown);
}

// ---------------------------------------------------------------------------------------------------------
// Known values

/**
 * Remembers secrets met at run time and removes them, with every secret-shaped substring, from strings and
 * JSON values. See the module comment for what is masked by position and what by value.
 *
 * @example
 * const r = new Redactor().addUrl(process.env.DATABASE_URL).addSecret(process.env.PGPASSWORD);
 * console.error(r.text(message));
 */
export class Redactor {
  private readonly values = new Set<string>();
  private readonly urls = new Map<string, string>();

  /**
   * Declares a value secret. It is masked wherever it appears only when {@link isDistinctiveSecret}; any
   * other value is masked at the positions {@link redactText} knows.
   */
  addSecret(value: string | undefined | null): this {
    if (!value || !isDistinctiveSecret(value)) return this;
    this.values.add(value);
    // Also the forms it takes inside URLs and JSON strings.
    for (const form of [encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]) if (form !== value) this.values.add(form);
    return this;
  }

  /** Declares a URL: shown redacted wherever it appears whole; its password (and `password=` parameter) declared secret. */
  addUrl(url: string | undefined | null): this {
    if (!url) return this;
    const forms = [url];
    try {
      forms.push(new URL(url).href);
    } catch {
      // Not a WHATWG URL: the raw form is all there is.
    }
    for (const form of forms) {
      const shown = redactUrl(form);
      if (shown !== form) this.urls.set(form, shown);
    }
    const span = urlPasswordSpan(url);
    if (span) {
      const raw = url.slice(span[0], span[1]);
      this.addSecret(raw);
      try {
        this.addSecret(decodeURIComponent(raw));
      } catch {
        // A lone `%`: the raw form was added.
      }
    }
    const query = /[?&]password=([^&#\s]*)/i.exec(url)?.[1];
    if (query) this.addSecret(decodeURIComponentSafe(query));
    return this;
  }

  /** Declares every secret a config-like value holds: values of secret-named keys and passwords of URLs. */
  addSecretsIn(value: unknown): this {
    walkEntries(value, (key, v) => {
      if (typeof v !== "string" && typeof v !== "number") return;
      const s = String(v);
      if (key !== undefined && isSecretKey(key)) this.addSecret(s);
      if (typeof v === "string" && (s.includes("://") || s.includes("@"))) this.addUrl(s);
    });
    return this;
  }

  /** Text with every known secret and secret-shaped substring masked. */
  text(input: string): string {
    let out = input;
    // Longest first, so a secret containing another is masked whole.
    for (const [url, shown] of [...this.urls].sort((a, b) => b[0].length - a[0].length)) out = out.split(url).join(shown);
    for (const s of [...this.values].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK);
    return redactText(out);
  }

  /** A deep copy of a JSON-like value (a report) with every string redacted by {@link Redactor.text}. */
  value<T>(input: T): T {
    return mapJson(input, (_key, s) => this.text(s)) as T;
  }

  /**
   * A deep copy of a configuration value: every scalar under a secret-named key masked (whatever its length),
   * every other string redacted by {@link Redactor.text}. For settings, not reports: reports key maps by
   * data (a table named `payment_token`), settings by meaning.
   */
  config<T>(input: T): T {
    const walk = (v: unknown, secret: boolean): unknown => {
      if (secret && (typeof v === "string" || typeof v === "number")) return MASK;
      if (typeof v === "string") return this.text(v);
      if (Array.isArray(v)) return v.map((x) => walk(x, secret));
      if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, secret || isSecretKey(k))]));
      return v;
    };
    return walk(input, false) as T;
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (!v || typeof v !== "object") return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function mapJson(v: unknown, onString: (key: string | undefined, s: string) => string, key?: string): unknown {
  if (typeof v === "string") return onString(key, v);
  if (Array.isArray(v)) return v.map((x) => mapJson(x, onString, key));
  if (isPlainObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapJson(x, onString, k)]));
  return v;
}

function walkEntries(v: unknown, visit: (key: string | undefined, v: unknown) => void, key?: string): void {
  if (Array.isArray(v)) for (const x of v) walkEntries(x, visit, key);
  else if (isPlainObject(v)) for (const [k, x] of Object.entries(v)) walkEntries(x, visit, k);
  else visit(key, v);
}

import type { Faker } from "@faker-js/faker";
import { OperationFailedError, UsageError } from "@odoo-deploy/core/base";
import { matchName } from "../rules/match.js";
import type { ColumnRuleInput } from "../rules/schema.js";
import { localeData, localeFaker, type Gen, type LocaleData } from "./locale.js";
import { chunkAscii, chunkHasEither, chunkHeader, chunkLatin1, deriveKey, domainKey, Draw, headerParts, lastHigh, Normalize, prfHash, prfHashAscii, prfHashStaged, replaceStagedWords, stageFromChunk, type PrfKey } from "./prf.js";
import { loremOfLength, NON_ASCII, replaceHtmlText, replaceWords } from "./text.js";

/** The values of one row a transform may read: other columns' originals and anonymized values. */
export interface RowView {
  /** Original (decoded) value of a column of the row. */
  original(column: string): string | null;
  /** Anonymized value of a column of the row (its rule applied; the original when it has none). */
  output(column: string): string | null;
  /**
   * Optional, for speed: when `value` is the original of the column being transformed and the row holds it as
   * plain bytes, stages them with `stageBytes` (prf.ts) and returns their length; otherwise -1. With `at`, `value`
   * is the part of the original at offset `at`: the caller has checked the original is staged (stage(original)
   * returned its length).
   */
  stage?(value: string, at?: number): number;
}

/**
 * What a compiled rule promises about the characters of its outputs, so COPY's binary encoder can skip looking
 * for non-ASCII ones (a check that first copies a freshly concatenated fake: skipping it saves 8–10 % of the row
 * engine's time on the benchmark's rows). `ascii`: every output is ASCII; `asciiIn`: an output is ASCII whenever
 * the original value is.
 * No promise: anything. A promise must be certain: a broken one writes wrong bytes.
 */
export type OutputCharset = "ascii" | "asciiIn";

/**
 * A compiled column rule: original value (never NULL: NULL stays NULL) → anonymized value. `at`, from a rule
 * transforming parts of a value (addresses in an e-mail header): `value` is the part of the column's original
 * starting at offset `at`, and the original is staged (see RowView.stage).
 */
export type ColumnTransform = ((value: string, row: RowView, at?: number) => string | null) & {
  readonly charset?: OutputCharset;
  /**
   * Optional, for speed: the same transform of a value given as the `length` bytes at `start` of the chunk staged
   * in WebAssembly memory (prf.ts stageChunk), without its string; undefined when it needs the string (bytes that
   * are not ASCII, for one). Only for rules that read no other column.
   */
  readonly fromChunk?: (start: number, length: number) => string | null | undefined;
};

/** `fn` with its {@link OutputCharset} (none: no promise). */
function promising(fn: (value: string, row: RowView, at?: number) => string | null, charset: OutputCharset | undefined): ColumnTransform {
  return charset ? Object.assign(fn, { charset }) : fn;
}

/** How {@link Anonymizer}'s memo transforms hash and build (see its `memo`). */
interface MemoOptions {
  normalize?: Normalize;
  charset?: OutputCharset;
  fromStaged?: (length: number, d: Draw) => string | undefined;
  valueFree?: boolean;
}

/** The promise of a transform combining others: `ascii` when all are, `asciiIn` when all promise something. */
function weakest(charsets: (OutputCharset | undefined)[]): OutputCharset | undefined {
  if (charsets.every((c) => c === "ascii")) return "ascii";
  return charsets.every((c) => c !== undefined) ? "asciiIn" : undefined;
}

const asciiIf = (ascii: boolean): OutputCharset | undefined => (ascii ? "ascii" : undefined);

/**
 * Memo: a direct-mapped cache per strategy domain, indexed by the keyed hash that is computed anyway and
 * matched on all 64 bits of it. A value's fake is kept only the second time its hash is seen, so a stream of
 * distinct values (most names, e-mails, texts) allocates nothing long-lived, while repeated ones (cities,
 * job titles, the authors of many messages) are built once. Fixed size: memory stays bounded.
 */
// 4096 slots: the tags of one domain (32 KiB) stay in the CPU caches; a probe costs one cache line.
const MEMO_SLOTS = 1 << 12;
// Longer fakes (texts) are not kept: memory stays bounded by slots × this length, and free text rarely repeats.
const MEMO_MAX_LENGTH = 256;

/**
 * A copy of a string that shares no memory with it. Values read from a COPY stream are slices of a whole chunk
 * (and fakes may embed such slices); anything kept beyond the current row is copied so it does not keep
 * chunks alive.
 */
function detach<T extends string | null>(s: T): T {
  return s === null || s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as T);
}

interface Memo {
  key: PrfKey;
  /** The 64-bit hash of the value in each slot, as (lo, hi) pairs side by side. */
  tags: Int32Array;
  /** `undefined`: the hash was seen once, its fake not kept yet. */
  values: (string | null | undefined)[];
  /** The hash of the last value (when `hasLast`) and its fake. */
  hasLast: boolean;
  lastLo: number;
  lastHi: number;
  lastOut: string | null;
}

/** Options of {@link Anonymizer}. */
export interface AnonymizerOptions {
  /** The secret keying every fake. Same secret → same fakes in every table and run. */
  secret: string;
  /** Default faker locale (default en). */
  locale?: string;
}

/**
 * Compiles column rules into fast transforms sharing one key, one set of memo caches and one counter, so the
 * same original gets the same fake wherever the same strategy meets it (res_partner.email and
 * crm_lead.email_from), in every run with the same secret.
 *
 * @example
 * const a = new Anonymizer({ secret: "s3cret" });
 * const t = a.compile("email");
 * t("john@example.com", emptyRow) === a.compile("email")("john@example.com", emptyRow) // true
 */
export class Anonymizer {
  readonly key: PrfKey;
  readonly locale: string;
  /** Values transformed (memo hits included), for throughput figures. */
  fakeValues = 0;
  private readonly memos = new Map<string, Memo>();
  private readonly draw = new Draw();

  constructor(options: AnonymizerOptions) {
    if (!options.secret) throw new UsageError("an anonymization secret is required", { code: "NO_SECRET" });
    this.key = deriveKey(options.secret);
    this.locale = options.locale ?? "en";
  }

  /**
   * A transform keyed on the value: hashes the value (normalized by `normalize`) under the domain's key, seeds a
   * draw from it, and builds the fake with `fn`; repeated values come from the memo. `fn` gets the original
   * value; `valueFree`: it does not read it (strategies that normalize build such fakes), so the transform can
   * also work from the value's bytes alone (ColumnTransform.fromChunk). `fromStaged`, when given, builds the
   * same fake from the value's staged bytes (a faster version; undefined: `fn` runs instead).
   */
  private memo(domain: string, fn: (value: string, d: Draw) => string | null, options: MemoOptions = {}): ColumnTransform {
    const { normalize = Normalize.none, charset, fromStaged, valueFree = false } = options;
    let cache = this.memos.get(domain);
    if (!cache) {
      // One key per domain (derived from the secret), so the value is hashed alone, without a prefix.
      cache = { key: domainKey(this.key, domain), tags: new Int32Array(2 * MEMO_SLOTS), values: new Array<string | null | undefined>(MEMO_SLOTS), hasLast: false, lastLo: 0, lastHi: 0, lastOut: null };
      this.memos.set(domain, cache);
    }
    const memo = cache;
    const { key, tags, values } = memo;
    const draw = this.draw;
    const normalized = NORMALIZED[normalize];
    // The fake of a value, from the memo or built; undefined only for `bytesOnly` (no value string): the faster
    // version could not build it and `fn` needs the value.
    const fake = (value: string, staged: number, lo: number, hi: number, bytesOnly: boolean): string | null | undefined => {
      // The same value twice in a row is common (email and email_normalized, name and display_name).
      if (lo === memo.lastLo && hi === memo.lastHi && memo.hasLast) return memo.lastOut;
      const slot = lo & (MEMO_SLOTS - 1);
      const tagged = tags[2 * slot] === lo && tags[2 * slot + 1] === hi;
      let out = tagged ? values[slot] : undefined;
      if (out === undefined) {
        out = fromStaged && staged >= 0 ? fromStaged(staged, draw.seed(lo, hi)) : undefined;
        if (out === undefined) {
          if (bytesOnly && !valueFree) return undefined;
          out = fn(value, draw.seed(lo, hi));
        }
        if (!tagged) {
          tags[2 * slot] = lo;
          tags[2 * slot + 1] = hi;
          values[slot] = undefined;
        } else if (out === null || out.length <= MEMO_MAX_LENGTH) values[slot] = detach(out);
      }
      memo.hasLast = true;
      memo.lastLo = lo;
      memo.lastHi = hi;
      memo.lastOut = out;
      return out;
    };
    const t = promising((value, row, at) => {
      this.fakeValues++;
      // From the row's bytes when it has them, else from the string.
      let staged = row.stage ? row.stage(value, at) : -1;
      let lo = staged < 0 ? -1 : prfHashStaged(key, staged, normalize);
      if (lo === -1) {
        staged = -1; // hashed from the string: no staged bytes for fromStaged either
        if (normalized) lo = prfHashAscii(key, value, normalize);
        if (lo === -1) lo = prfHash(key, normalized ? normalized(value) : value);
      }
      return fake(value, staged, lo | 0, lastHigh() | 0, false) as string | null;
    }, charset);
    if (!valueFree && !fromStaged) return t;
    // From the bytes of a COPY field in the staged chunk, without its string: ASCII only (as RowView.stage), so
    // hashes and fakes are those of the string path.
    const fromChunk = (start: number, length: number): string | null | undefined => {
      const staged = stageFromChunk(start, start + length);
      const lo = staged < 0 ? -1 : prfHashStaged(key, staged, normalize, true);
      if (lo === -1) return undefined;
      const out = fake("", staged, lo | 0, lastHigh() | 0, true);
      if (out !== undefined) this.fakeValues++;
      return out;
    };
    return Object.assign(t, { fromChunk });
  }

  /**
   * Compiles a column rule. `unique` rules detect collisions between different originals and re-draw.
   *
   * @example const t = anonymizer.compile({ strategy: "mask", keepLast: 4 });
   */
  compile(rule: ColumnRuleInput): ColumnTransform {
    const t = this.compileBase(rule);
    if (typeof rule === "object" && rule.unique) return this.uniqueOf(t, JSON.stringify(rule));
    return t;
  }

  private uniqueOf(t: ColumnTransform, domain: string): ColumnTransform {
    // output → a 53-bit keyed hash of the original that owns it (not the original: less memory, no chunk kept)
    const seen = new Map<string, number>();
    const key = this.key;
    // Re-draws call `t` again, so its promise holds (the suffix added to the value is ASCII).
    return promising((value, row) => {
      const lo = prfHash(key, value);
      const owner = lo + (lastHigh() & 0x1fffff) * 4294967296;
      let out = t(value, row);
      for (let n = 1; out !== null; n++) {
        const taken = seen.get(out);
        if (taken === undefined || taken === owner) break;
        if (n > 20) throw new OperationFailedError(`unique strategy ${domain}: cannot find a free value`, { code: "UNIQUE_EXHAUSTED" });
        out = t(`${value}\u0001${n}`, row);
      }
      if (out !== null) seen.set(detach(out), owner);
      return out;
    }, t.charset);
  }

  /** A memo of the locale list at `path`'s generator (ASCII when the list is). */
  private fromList(domain: string, L: LocaleData, path: string, normalize: Normalize = Normalize.none): ColumnTransform {
    return this.memo(domain, gen(L.generator(path)), { normalize, charset: asciiIf(L.asciiOnly(path)), valueFree: true });
  }

  private data(locale: string | undefined): LocaleData {
    return localeData(locale ?? this.locale);
  }

  private compileBase(rule: ColumnRuleInput): ColumnTransform {
    const r = typeof rule === "string" ? ({ strategy: rule } as Exclude<ColumnRuleInput, string>) : rule;
    const loc = "locale" in r && r.locale ? r.locale : this.locale;
    const L = this.data(loc);
    switch (r.strategy) {
      case "keep":
        return promising((v) => v, "asciiIn");
      case "null":
        return Object.assign(promising(() => null, "ascii"), { fromChunk: () => null });
      case "constant": {
        const value = r.value;
        return Object.assign(promising(() => value, asciiIf(value === null || !NON_ASCII.test(value))), { fromChunk: () => value });
      }
      case "name":
        return this.memo(`name:${loc}`, fullName(L), { normalize: Normalize.lowerTrim, charset: asciiIf(fullNameAscii(L)), valueFree: true });
      case "first_name":
        return this.fromList(`first:${loc}`, L, "person.first_name");
      case "last_name":
        return this.fromList(`last:${loc}`, L, "person.last_name");
      case "company":
        return this.fromList(`company:${loc}`, L, "company.name_pattern");
      case "street":
      {
        const number = L.generator("location.building_number");
        const street = L.generator("location.street_pattern");
        const ascii = L.asciiOnly("location.building_number") && L.asciiOnly("location.street_pattern");
        return this.memo(`street:${loc}`, (_v, d) => `${number(d)} ${street(d)}`, { charset: asciiIf(ascii), valueFree: true });
      }
      case "street2":
        return this.fromList(`street2:${loc}`, L, "location.secondary_address");
      case "city":
        return this.fromList(`city:${loc}`, L, "location.city_pattern");
      case "zip":
        return this.fromList(`zip:${loc}`, L, "location.postcode");
      case "phone":
        // Digits only: "+32 2 555 01 02" and "+3225550102" are the same number.
        return this.fromList(`phone:${loc}`, L, "phone_number.format", Normalize.digits);
      case "email": {
        const domain = r.domain ?? "example.com";
        const firsts = L.folded("person.first_name");
        const lasts = L.folded("person.last_name");
        // One address, case-insensitive: the same fake in res_partner.email, email_normalized and crm_lead.email_from.
        // Folded names and tags are ASCII letters and digits by construction.
        const addrAscii = asciiIf(!NON_ASCII.test(domain));
        const addr = this.memo(`email:${loc}:${domain}`, (_v, d) => `${d.pick(firsts) || "user"}.${d.pick(lasts) || "name"}.${tagOf(d, 6)}@${domain}`, {
          normalize: Normalize.lowerTrim,
          charset: addrAscii,
          valueFree: true,
        });
        const display = this.memo(`name:${loc}`, fullName(L), { normalize: Normalize.lowerTrim, charset: asciiIf(fullNameAscii(L)), valueFree: true });
        // A header keeps its quotes, brackets and commas, so it is only ASCII when the original is.
        const t = promising((v, row) => {
          // (a regular expression: includes() on strings sliced from a COPY chunk costs several times more)
          if (!ADDRESS_LIST.test(v)) return addr(v, row);
          // One value transformed, however many names and addresses the header holds (their memos count each).
          const counted = this.fakeValues;
          // When `v` is the row's own bytes (staging it says so), its parts are hashed from them by offset.
          const byOffset = row.stage !== undefined && row.stage(v) >= 0;
          const out = byOffset
            ? rewriteAddresses(v, (a, at) => addr(a, row, at)!, (n, at) => display(n, row, at)!)
            : rewriteAddresses(v, (a) => addr(a, row)!, (n) => display(n, row)!);
          this.fakeValues = counted + 1;
          return out;
        }, weakest([addr.charset, display.charset, "asciiIn"]));
        // From a field's bytes: one address (no `<` or `,`, as ADDRESS_LIST) is the address memo's; a header in
        // rewriteAddresses' common form is rewritten as there, from its parts' bytes; any other takes the string.
        const plain = addr.fromChunk!;
        const nameFrom = display.fromChunk!;
        const header = (start: number, length: number): string | undefined => {
          if (!chunkHeader(start, length)) return undefined;
          const nameStart = headerParts[0]!;
          const nameEnd = headerParts[1]!;
          const quoted = headerParts[2] === 1;
          const address = headerParts[3]! + 1;
          const counted = this.fakeValues;
          const name = nameFrom(nameStart, nameEnd - nameStart);
          const a = typeof name === "string" ? plain(address, start + length - 1 - address) : undefined;
          if (typeof a !== "string") {
            this.fakeValues = counted;
            return undefined;
          }
          this.fakeValues = counted + 1;
          return quoted ? `"${name}" <${a}>` : `${name} <${a}>`;
        };
        return Object.assign(t, { fromChunk: (start: number, length: number) => (chunkHasEither(start, start + length, 0x3c, 0x2c) ? header(start, length) : plain(start, length)) });
      }
      case "hash": {
        const length = r.length ?? 16;
        const prefix = r.prefix ?? "";
        return this.memo(`hash:${length}:${prefix}`, (_v, d) => prefix + tagOf(d, length), { charset: asciiIf(!NON_ASCII.test(prefix)), valueFree: true });
      }
      case "uuid":
        return this.memo("uuid", (_v, d) => {
          let hex = "";
          for (let i = 0; i < 4; i++) hex += d.next().toString(16).padStart(8, "0");
          return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${"89ab"[parseInt(hex[16]!, 16) & 3]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
        }, { charset: "ascii", valueFree: true });
      case "mask": {
        const first = r.keepFirst ?? 0;
        const last = r.keepLast ?? 0;
        const ch = r.char ?? "*";
        const fill: string[] = []; // ch repeated k times, at k (for the lengths met)
        const masked = (k: number) => (k < 256 ? (fill[k] ??= ch.repeat(k)) : ch.repeat(k));
        // The masked form of a value of n characters, whose kept ones `keep` gives (from its string, its code
        // points or its bytes).
        const maskOf = <S>(n: number, src: S, keep: (src: S, from: number, to: number) => string) =>
          n <= first + last ? masked(n) : (first ? keep(src, 0, first) : "") + masked(n - first - last) + (last ? keep(src, n - last, n) : "");
        const ofString = (s: string, from: number, to: number) => s.slice(from, to);
        const ofCodePoints = (c: string[], from: number, to: number) => c.slice(from, to).join("");
        const ofChunk = (at: number, from: number, to: number) => chunkLatin1(at + from, at + to);
        const t = promising((v) => {
          this.fakeValues++;
          // Counted in characters: text with surrogate pairs (emoji) is split into code points first.
          if (SURROGATE.test(v)) {
            const chars = [...v];
            return maskOf(chars.length, chars, ofCodePoints);
          }
          return maskOf(v.length, v, ofString);
        }, NON_ASCII.test(ch) ? undefined : "asciiIn");
        // From a field's ASCII bytes (a byte a character), without the original's string.
        const fromChunk = (start: number, n: number): string | undefined => {
          if (!chunkAscii(start, start + n)) return undefined;
          this.fakeValues++;
          return maskOf(n, start, ofChunk);
        };
        return Object.assign(t, { fromChunk });
      }
      case "template": {
        const parts = r.template.split(/\{\{\s*([^}\s]+)\s*\}\}/);
        return (_v, row) => {
          this.fakeValues++;
          let s = "";
          for (let i = 0; i < parts.length; i++) s += i % 2 === 0 ? parts[i] : (row.output(parts[i]!) ?? "");
          return s;
        };
      }
      case "same_as": {
        const col = r.column;
        return (_v, row) => row.output(col);
      }
      case "regex": {
        const re = new RegExp(r.pattern, r.flags ?? "g");
        const rep = r.replacement;
        // `$1`, `$&`… copy parts of the value; the rest of the replacement is its own text.
        return promising((v) => {
          this.fakeValues++;
          return v.replace(re, rep);
        }, NON_ASCII.test(rep) ? undefined : "asciiIn");
      }
      case "noise": {
        const ratio = r.ratio;
        const days = r.days;
        return this.memo(`noise:${ratio ?? ""}:${days ?? ""}`, (v, d) => {
          const u = d.next() / 4294967296;
          const m = /^(\d{4})-(\d{2})-(\d{2})(.*)$/s.exec(v);
          if (m && days !== undefined) {
            const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + Math.round((2 * u - 1) * days) * 86_400_000;
            const dt = new Date(t);
            return `${String(dt.getUTCFullYear()).padStart(4, "0")}-${String(dt.getUTCMonth() + 1).padStart(2, "0")}-${String(dt.getUTCDate()).padStart(2, "0")}${m[4]}`;
          }
          const n = Number(v);
          if (!Number.isFinite(n) || ratio === undefined) return v;
          const decimals = v.includes(".") ? v.length - v.indexOf(".") - 1 : 0;
          return (n * (1 + ratio * (2 * u - 1))).toFixed(decimals);
        }, { charset: "asciiIn" });
      }
      case "html":
        if (r.mode === "whole") {
          return this.memo("html:whole", (v, d) => `<p>${loremOfLength(Math.min(v.length, 400), d)}</p>`, { charset: "ascii" });
        }
        // Markup, entities, spacing and punctuation are kept; words become (ASCII) lorem words.
        return this.memo("html", (v, d) => replaceHtmlText(v, d), { charset: "asciiIn", fromStaged: (n, d) => replaceStagedWords(n, d, true) });
      case "lorem":
        return this.memo("lorem", (v, d) => replaceWords(v, d), { charset: "asciiIn", fromStaged: (n, d) => replaceStagedWords(n, d, false) });
      case "fake": {
        const faker = localeFaker(loc);
        const [mod, method] = r.method.split(".") as [string, string];
        const fn = (faker as unknown as Record<string, Record<string, unknown>>)[mod]?.[method];
        if (typeof fn !== "function") throw new UsageError(`unknown faker method ${r.method}`, { code: "UNKNOWN_FAKER_METHOD" });
        const domain = `fake:${r.method}:${loc}`;
        return this.memo(
          domain,
          (_v, d) => {
            faker.seed(d.next());
            return String((fn as () => unknown).call(faker[mod as keyof Faker]));
          },
          { valueFree: true },
        );
      }
      case "jsonb": {
        const each = this.compile(r.each);
        const keys = r.keys ? new Set(r.keys) : undefined;
        // Keys and untouched values come from the value; JSON.stringify adds only ASCII.
        return promising((v, row) => {
          let doc: unknown;
          try {
            doc = JSON.parse(v);
          } catch {
            return each(v, row);
          }
          const walk = (x: unknown, top: boolean): unknown => {
            if (typeof x === "string") return each(x, row);
            if (Array.isArray(x)) return x.map((y) => walk(y, false));
            if (x && typeof x === "object") {
              const o: Record<string, unknown> = {};
              for (const [k, y] of Object.entries(x)) o[k] = top && keys && !keys.has(k) ? y : walk(y, false);
              return o;
            }
            return x;
          };
          return JSON.stringify(walk(doc, true));
        }, weakest([each.charset, "asciiIn"]));
      }
      case "switch": {
        const exact = new Map<string, ColumnTransform>();
        const globs: [string, ColumnTransform][] = [];
        for (const [k, c] of Object.entries(r.cases)) {
          if (/[*?[]/.test(k)) globs.push([k, this.compile(c)]);
          else exact.set(k, this.compile(c));
        }
        const dflt = r.default === undefined ? this.compile("keep") : this.compile(r.default);
        const col = r.column;
        return promising((v, row) => {
          const sel = row.original(col) ?? "";
          const t = exact.get(sel) ?? globs.find(([g]) => matchName(g, sel))?.[1] ?? dflt;
          return t(v, row);
        }, weakest([...exact.values(), ...globs.map(([, t]) => t), dflt].map((t) => t.charset)));
      }
    }
  }

}

/** Whether {@link fullName}'s names are all ASCII. */
const fullNameAscii = (L: LocaleData) => L.asciiOnly("person.first_name") && L.asciiOnly("person.last_name");

/** "First Last" from the locale's name lists. */
function fullName(L: LocaleData): (v: string, d: Draw) => string {
  const first = L.generator("person.first_name");
  const last = L.generator("person.last_name");
  return (_v, d) => `${first(d)} ${last(d)}`;
}

/** A memo builder from a generator that ignores the value. */
const gen = (g: Gen) => (_v: string, d: Draw) => g(d);

const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";
// All pairs of base-36 characters: a tag of 6 is three picks.
const PAIRS = Array.from({ length: 36 * 36 }, (_, i) => BASE36[Math.floor(i / 36)]! + BASE36[i % 36]!);

/** `length` base-36 characters drawn from the keyed draw (≈5.2 bits each): unique in practice from 10 on. */
function tagOf(d: Draw, length: number): string {
  let out = "";
  for (let i = 0; i + 1 < length; i += 2) out += PAIRS[d.below(1296)];
  return length & 1 ? out + BASE36[d.below(36)] : out;
}
const lowerTrim = (v: string) => v.trim().toLowerCase();
const ADDRESS_LIST = /[<,]/;
const AT = /@/;
const QUOTE = /"/;
const ONE_ADDRESS = /^([^<>,]+)<([^<>,]*)>$/;
const SURROGATE = /[\uD800-\uDFFF]/;
/** The string forms of {@link Normalize} (prfHashStaged does the same on bytes). */
const NORMALIZED: Record<Normalize, ((v: string) => string) | undefined> = { [Normalize.none]: undefined, [Normalize.lowerTrim]: lowerTrim, [Normalize.digits]: digitsOf };

/** The ASCII digits of a phone number ("+32 2 555 01 02" → "3225550102"), or the value when it has none. */
function digitsOf(v: string): string {
  let out = "";
  let run = -1; // start of the current run of digits
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (run < 0) run = i;
    } else if (run >= 0) {
      out += v.slice(run, i);
      run = -1;
    }
  }
  if (run === 0) return v; // digits only
  if (run > 0) out += v.slice(run);
  return out || v;
}

/**
 * How many characters trim() removes at the start of `s` when it is ASCII (where offsets are used: see
 * RowView.stage): tab, line feed, vertical tab, form feed, carriage return and space.
 */
function leadingSpace(s: string): number {
  let n = 0;
  for (let c = s.charCodeAt(0); c === 0x20 || (c >= 0x09 && c <= 0x0d); c = s.charCodeAt(++n));
  return n;
}

/**
 * Rewrites the addresses of an e-mail header-like value holding a `<` or a `,` (the caller has tested
 * ADDRESS_LIST; anything else is one address): `"Name" <a@b.c>`, `Name <a@b.c>`, and comma-separated lists of
 * these and of bare `a@b.c`. Text without any `@` is treated as one address. Nothing of the original is kept but
 * quotes, brackets, commas and white space: a list element that is neither an address nor `name <address>` (the
 * `Doe` of `Doe, Jane <j@x.org>`) is taken for a name.
 */
function rewriteAddresses(v: string, addr: (a: string, at?: number) => string, display: (n: string, at?: number) => string): string {
  // Regular expressions rather than includes/indexOf, which cost several times more on strings sliced from a chunk.
  if (!AT.test(v)) return addr(v);
  // The common form, one `"Name" <address>` or `Name <address>`: a name, then the only <…>, at the end. The parts
  // are passed with their offsets in `v`, so they are hashed from the row's bytes (see RowView.stage).
  const one = ONE_ADDRESS.exec(v);
  if (one) {
    const address = one[2]!;
    let name = one[1]!.trim();
    let at = leadingSpace(one[1]!);
    const q = name.length >= 2 && name.charCodeAt(0) === 0x22 && name.charCodeAt(name.length - 1) === 0x22 ? '"' : "";
    if (q) {
      const inner = name.slice(1, -1);
      name = inner.trim();
      at += 1 + leadingSpace(inner);
    }
    if (name && !QUOTE.test(name)) return `${q}${display(name, at)}${q} <${addr(address, v.length - 1 - address.length)}>`;
  }
  let out = "";
  for (let start = 0; start <= v.length; ) {
    const comma = unquotedIndex(v, start, 0x2c);
    const end = comma < 0 ? v.length : comma;
    if (start > 0) out += ",";
    out += rewriteElement(v.slice(start, end), addr, display);
    start = end + 1;
  }
  return out;
}

/**
 * The offset of the first `c` (`,` or `<`) in `v` from `start` outside quotes (a backslash escaping the next
 * character in them) and outside `<…>`, or -1.
 */
function unquotedIndex(v: string, start: number, c: number): number {
  let quoted = false;
  let bracketed = false;
  for (let i = start; i < v.length; i++) {
    const x = v.charCodeAt(i);
    if (quoted) {
      if (x === 0x5c) i++;
      else if (x === 0x22) quoted = false;
    } else if (x === 0x22) quoted = true;
    else if (x === c && !bracketed) return i;
    else if (x === 0x3c) bracketed = true;
    else if (x === 0x3e) bracketed = false;
  }
  return -1;
}

/** One element of an address list (see rewriteAddresses), its leading white space kept. */
function rewriteElement(e: string, addr: (a: string) => string, display: (n: string) => string): string {
  const text = e.trim();
  if (!text) return e;
  const lead = e.slice(0, leadingSpace(e));
  const lt = unquotedIndex(text, 0, 0x3c);
  if (lt >= 0) {
    const gt = text.indexOf(">", lt);
    const a = addr(text.slice(lt + 1, gt < 0 ? text.length : gt));
    // (what follows `>`, a comment or garbage, is dropped with the rest of the original)
    const name = text.slice(0, lt).trim();
    return name ? `${lead}${nameOf(name, display)} <${a}>` : `${lead}<${a}>`;
  }
  return lead + (AT.test(text) ? addr(text) : nameOf(text, display));
}

/** A fake display name for `name` (trimmed), quoted when it was: its quotes and escapes are not part of the name. */
function nameOf(name: string, display: (n: string) => string): string {
  const quoted = name.length >= 2 && name.charCodeAt(0) === 0x22 && name.charCodeAt(name.length - 1) === 0x22;
  if (!quoted) return display(name.replace(/"/g, "").trim() || name);
  const inner = name.slice(1, -1).replace(/\\(.)/g, "$1").trim();
  return `"${display(inner || name)}"`;
}

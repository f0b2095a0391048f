import type { Arena } from "../accelerator/arena.js";
import type { Draw } from "../accelerator/draw.js";
import { domainKey, normalized, Normalize, prfHash } from "../accelerator/prf.js";
import type { Hash64, PrfKey } from "../accelerator/siphash.js";
import type { ColumnRuleInput } from "../rules/schema.js";
import type { LocaleData } from "./locale.js";

/** The values of one row a transform may read: other columns' originals and anonymized values. */
export interface RowView {
  /** Original (decoded) value of a column of the row. */
  original(column: string): string | null;
  /** Anonymized value of a column of the row (its rule applied; the original when it has none). */
  output(column: string): string | null;
  /** The accelerator of the transform reading the row; absent on the reference path. */
  readonly arena?: Arena;
  /**
   * With an arena: when `value` is the original of the column being transformed (or, with `at`, its part at
   * offset `at`) and the row holds it as plain ASCII bytes, stages them in the arena and returns their length;
   * otherwise -1.
   */
  stage?(value: string, at?: number): number;
}

/**
 * What a compiled rule promises about the characters of its outputs, so COPY's binary encoder can skip looking
 * for non-ASCII ones. `ascii`: every output is ASCII; `asciiIn`: an output is ASCII whenever the original value
 * is. No promise: anything. A promise must be certain: a broken one writes wrong bytes.
 */
export type OutputCharset = "ascii" | "asciiIn";

/**
 * A compiled column rule: original value (never NULL: NULL stays NULL) → anonymized value. `at`, from a rule
 * transforming parts of a value (addresses in an e-mail header): `value` is the part of the column's original
 * starting at offset `at`.
 */
export type ColumnTransform = ((value: string, row: RowView, at?: number) => string | null) & {
  readonly charset?: OutputCharset;
  /**
   * The same output from the bytes `start..start + length` of a field in `arena`'s staged chunk (binary COPY),
   * without the original's string: for transforms that need no more than the bytes (most fakes do not read
   * the value at all). Answers only for ASCII bytes, so an `asciiIn` promise holds; undefined: it cannot, the
   * string path runs.
   */
  readonly fromBytes?: (arena: Arena, start: number, length: number) => string | null | undefined;
};

/** What a strategy's compile function gets from the anonymizer compiling it. */
export interface StrategyContext {
  /** The default locale. */
  readonly locale: string;
  /** Values transformed (memo hits included), for throughput figures. */
  fakeValues: number;
  /** The locale data of `locale`. */
  data(locale: string): LocaleData;
  /** Compiles a nested rule (jsonb's `each`, switch's cases). */
  compile(rule: ColumnRuleInput): ColumnTransform;
  /** A transform keyed on the value's hash, memoised per domain (see {@link memoTransform}). */
  memo(domain: string, fn: (value: string, d: Draw) => string | null, options?: MemoOptions): ColumnTransform;
}

/** How a memo transform hashes and builds. */
export interface MemoOptions {
  /** How the value is normalized before it is hashed. */
  normalize?: Normalize;
  charset?: OutputCharset;
  /** `fn` does not read the value (only its draw), so the transform can work from a field's bytes alone. */
  valueFree?: boolean;
  /**
   * The same fake as `fn`, built by the arena from the value's staged bytes (undefined: `fn` runs instead).
   * A transform with it also works from a field's bytes (fromBytes).
   */
  fromStaged?: (arena: Arena, length: number, d: Draw) => string | undefined;
}

/** `fn` with its {@link OutputCharset} (none: no promise). */
export function promising(fn: (value: string, row: RowView, at?: number) => string | null, charset: OutputCharset | undefined): ColumnTransform {
  return charset ? Object.assign(fn, { charset }) : fn;
}

/** The promise of a transform combining others: `ascii` when all are, `asciiIn` when all promise something. */
export function weakest(charsets: (OutputCharset | undefined)[]): OutputCharset | undefined {
  if (charsets.every((c) => c === "ascii")) return "ascii";
  return charsets.every((c) => c !== undefined) ? "asciiIn" : undefined;
}

export const asciiIf = (ascii: boolean): OutputCharset | undefined => (ascii ? "ascii" : undefined);

/**
 * A copy of a string that shares no memory with it. Values read from a COPY stream are slices of a whole chunk
 * (and fakes may embed such slices); anything kept beyond the current row is copied so it does not keep
 * chunks alive.
 */
export function detach<T extends string | null>(s: T): T {
  return s === null || s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as T);
}

// 4096 slots: the tags of one domain (32 KiB) stay in the CPU caches; a probe costs one cache line.
const MEMO_SLOTS = 1 << 12;
// Longer fakes (texts) are not kept: memory stays bounded by slots × this length, and free text rarely repeats.
const MEMO_MAX_LENGTH = 256;

/**
 * A direct-mapped cache per strategy domain, indexed by the keyed hash that is computed anyway and matched on
 * all 64 bits of it. A value's fake is kept only the second time its hash is seen, so a stream of distinct
 * values allocates nothing long-lived while repeated ones are built once.
 */
export interface Memo {
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

/** The memo of a new domain, keyed by the domain's own key. */
export function newMemo(key: PrfKey, domain: string): Memo {
  return { key: domainKey(key, domain), tags: new Int32Array(2 * MEMO_SLOTS), values: new Array<string | null | undefined>(MEMO_SLOTS), hasLast: false, lastLo: 0, lastHi: 0, lastOut: null };
}

/**
 * A transform keyed on the value: hashes it (normalized) under the domain's key, from the row's bytes when the
 * arena has them, else from its string; seeds `draw` from the hash and builds the fake with `fromStaged` or
 * `fn`, or takes it from the memo. With `valueFree` or `fromStaged` it also has {@link ColumnTransform.fromBytes}.
 */
export function memoTransform(counter: { fakeValues: number }, memo: Memo, draw: Draw, fn: (value: string, d: Draw) => string | null, options: MemoOptions = {}): ColumnTransform {
  const { normalize = Normalize.none, charset, valueFree = false, fromStaged } = options;
  const { key, tags, values } = memo;
  const h: Hash64 = { lo: 0, hi: 0 };
  // The fake of the value hashed into `h`: from the memo, or built (from the `staged` bytes in `arena` when
  // there are some and fromStaged builds it). Undefined only without a `value` (""), when `fn` would need it.
  const fake = (value: string, arena: Arena | undefined, staged: number, bytesOnly: boolean): string | null | undefined => {
    const lo = h.lo | 0;
    const hi = h.hi | 0;
    // The same value twice in a row is common (email and email_normalized, name and display_name).
    if (lo === memo.lastLo && hi === memo.lastHi && memo.hasLast) return memo.lastOut;
    const slot = lo & (MEMO_SLOTS - 1);
    const tagged = tags[2 * slot] === lo && tags[2 * slot + 1] === hi;
    let out = tagged ? values[slot] : undefined;
    if (out === undefined) {
      out = fromStaged && staged >= 0 ? fromStaged(arena!, staged, draw.seed(lo, hi)) : undefined;
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
    counter.fakeValues++;
    // From the row's bytes when the arena has them (a string sliced from a chunk is slow to encode), else from the string.
    let staged = row.arena && row.stage ? row.stage(value, at) : -1;
    if (staged < 0 || !row.arena!.hashStaged(key, staged, normalize, h)) {
      staged = -1; // hashed from the string: no staged bytes for fromStaged either
      prfHash(key, normalized(value, normalize), h);
    }
    return fake(value, row.arena, staged, false) as string | null;
  }, charset);
  if (!valueFree && !fromStaged) return t;
  // ASCII bytes only (as RowView.stage), so hashes and fakes are those of the string path.
  const fromBytes = (arena: Arena, start: number, length: number): string | null | undefined => {
    const staged = arena.stageFromChunk(start, start + length);
    if (staged < 0 || !arena.hashStaged(key, staged, normalize, h, true)) return undefined;
    const out = fake("", arena, staged, true);
    if (out !== undefined) counter.fakeValues++;
    return out;
  };
  return Object.assign(t, { fromBytes });
}

/** A column rule in its object form with strategy `S`. */
export type RuleOf<S extends string> = Extract<Exclude<ColumnRuleInput, string>, { strategy: S }>;

/** How a strategy compiles a rule: `locale` is the rule's own or the anonymizer's default. */
export type CompileStrategy<S extends string> = (rule: RuleOf<S>, ctx: StrategyContext, locale: string) => ColumnTransform;

import type { Faker, LocaleDefinition } from "@faker-js/faker";
import { UsageError } from "@odoo-deploy/core/base";
import { createRequire } from "node:module";
import type { Draw } from "../accelerator/draw.js";
import { asciiFold, NON_ASCII } from "./text.js";

const require = createRequire(import.meta.url);
const fakers = new Map<string, Faker>();

/**
 * The faker instance of one locale (`@faker-js/faker/locale/fr`: fr, then en, then base data), loaded on first
 * use. Only that locale is loaded: the package root imports all 77 locales (about 37 MiB per thread).
 *
 * @example localeFaker("fr").person.firstName()
 */
export function localeFaker(locale: string): Faker {
  let f = fakers.get(locale);
  if (f) return f;
  if (locale !== "base" && !/^[a-z]{2,3}(?:_[A-Za-z0-9]+)*$/.test(locale)) throw new UsageError(`unknown faker locale "${locale}"`, { code: "UNKNOWN_LOCALE" });
  try {
    // require() of an ES module (Node ≥ 20.19) keeps compile() synchronous.
    f = (require(`@faker-js/faker/locale/${locale}`) as { faker: Faker }).faker;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "MODULE_NOT_FOUND" || (e as NodeJS.ErrnoException).code === "ERR_PACKAGE_PATH_NOT_EXPORTED") {
      throw new UsageError(`unknown faker locale "${locale}"`, { code: "UNKNOWN_LOCALE" });
    }
    throw e;
  }
  fakers.set(locale, f);
  return f;
}

/**
 * Direct access to faker's locale data (name lists, street patterns, phone formats), with the usual fallback
 * chain locale → en → base. Fakes are built by indexing these lists with a keyed pseudo-random draw, so no
 * faker instance is seeded per value.
 */
export class LocaleData {
  private readonly data: LocaleDefinition;
  private readonly cache = new Map<string, readonly string[]>();
  private readonly foldedCache = new Map<string, readonly string[]>();
  private readonly generators = new Map<string, Gen>();
  private readonly compiling = new Set<string>();
  private readonly asciiCache = new Map<string, boolean>();

  constructor(readonly locale: string) {
    // faker merges its chain per entry: a list missing in the locale comes from en, then base.
    this.data = localeFaker(locale).rawDefinitions;
  }

  /**
   * The string list at a data path (`person.first_name`, `location.street_suffix`); objects of lists (by sex)
   * are flattened; weighted entries are expanded by weight. Empty when no locale of the chain has it.
   */
  list(path: string): readonly string[] {
    const hit = this.cache.get(path);
    if (hit) return hit;
    let v: unknown = this.data;
    for (const part of path.split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
    const found = flatten(v);
    this.cache.set(path, found);
    return found;
  }

  /** The list at `path` folded to lowercase ASCII letters (for e-mail local parts). */
  folded(path: string): readonly string[] {
    let f = this.foldedCache.get(path);
    if (!f) {
      f = this.list(path).map(asciiFold);
      this.foldedCache.set(path, f);
    }
    return f;
  }

  /**
   * A generator for the list at `path`: picks one entry with the draw and expands it. Entries are compiled once
   * into literal parts, nested generators (`{{person.firstName}}`: camelCase method names map to snake_case
   * data) and digit runs (`#` a digit, `!` a digit 2–9), so a fake costs a few picks and concatenations.
   *
   * @example localeData("fr").generator("location.city_pattern")(draw) // "Saint-Denis"
   */
  generator(path: string): Gen {
    let g = this.generators.get(path);
    if (g) return g;
    if (this.compiling.has(path)) return () => ""; // a list that refers to itself
    const patterns = this.list(path);
    if (patterns.length === 0) g = () => "";
    else if (patterns.every((p) => !PLACEHOLDER.test(p))) g = (d) => patterns[d.below(patterns.length)]!;
    else if (patterns.every((p) => !p.includes("{{"))) {
      // Literals and digits only (phone formats, postcodes, building numbers): cells evaluated by one function
      // rather than a closure per piece, so 16 phone formats do not make every call site megamorphic.
      const entries = patterns.map(digitCells);
      g = (d) => expandCells(entries[d.below(entries.length)]!, d);
    } else {
      this.compiling.add(path);
      const compiled = patterns.map((p) => this.compilePattern(p));
      this.compiling.delete(path);
      g = (d) => {
        const c = compiled[d.below(compiled.length)]!;
        return typeof c === "string" ? c : c(d);
      };
    }
    this.generators.set(path, g);
    return g;
  }

  /**
   * Whether every string {@link generator} can produce for `path` is ASCII: its entries are, and so are the
   * lists they refer to (digits always are). A list met again while it is being checked (a cycle) counts as not
   * ASCII: false only costs the encoder a check, true must be certain.
   *
   * @example localeData("en").asciiOnly("person.first_name") // true; false for "fr" (Adélaïde)
   */
  asciiOnly(path: string): boolean {
    const known = this.asciiCache.get(path);
    if (known !== undefined) return known;
    this.asciiCache.set(path, false); // while visiting
    const ascii = this.list(path).every((p) => !NON_ASCII.test(p) && [...p.matchAll(LIST_REFERENCE)].every((m) => this.asciiOnly(`${m[1]}.${toSnake(m[2]!)}`)));
    this.asciiCache.set(path, ascii);
    return ascii;
  }

  /** Expands one pattern (see {@link generator}). @example data.expand("{{person.lastName}} ###", draw) */
  expand(pattern: string, draw: Draw): string {
    const c = this.compilePattern(pattern);
    return typeof c === "string" ? c : c(draw);
  }

  private compilePattern(pattern: string): string | Gen {
    if (!PLACEHOLDER.test(pattern)) return pattern;
    const parts: (string | Gen)[] = [];
    // Between list references, literals and digits: their draws are made by digitCells, as for digit-only lists.
    const segment = (text: string) => {
      if (!text) return;
      if (!/[#!]/.test(text)) parts.push(text);
      else {
        const cells = digitCells(text);
        parts.push((d) => expandCells(cells, d));
      }
    };
    const re = new RegExp(LIST_REFERENCE);
    let last = 0;
    for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
      segment(pattern.slice(last, m.index));
      last = re.lastIndex;
      parts.push(this.generator(`${m[1]}.${toSnake(m[2]!)}`));
    }
    segment(pattern.slice(last));
    const at = (p: string | Gen, d: Draw) => (typeof p === "string" ? p : p(d));
    if (parts.length === 1) return parts[0]!;
    if (parts.length === 2) {
      const [a, b] = parts as [string | Gen, string | Gen];
      return (d) => at(a, d) + at(b, d);
    }
    if (parts.length === 3) {
      const [a, b, c] = parts as [string | Gen, string | Gen, string | Gen];
      return (d) => at(a, d) + at(b, d) + at(c, d);
    }
    return (d) => {
      let s = "";
      for (const p of parts) s += typeof p === "string" ? p : p(d);
      return s;
    };
  }
}

/** A fake built from a keyed draw. */
export type Gen = (draw: Draw) => string;

// Every string of 1 to 4 digits ("0" to "9999", "00" to "99", …): a run of digits is a few lookups instead of
// a number-to-string conversion.
const DIGIT_STRINGS = [1, 10, 100, 1000, 10_000].map((m, len) => Array.from({ length: m }, (_, i) => String(i).padStart(len, "0")));
const FOUR_DIGITS = DIGIT_STRINGS[4]!;

const DIGITS_2_TO_9 = ["2", "3", "4", "5", "6", "7", "8", "9"];
// A list reference or a digit placeholder.
const PLACEHOLDER = /\{\{|[#!]/;
// A list reference, `{{person.firstName}}`: its module and method.
const LIST_REFERENCE = /\{\{\s*([a-zA-Z_]+)\.([a-zA-Z_]+)\s*\}\}/g;

/**
 * A piece of a pattern of literals and digits: all the strings it can produce (`(!##) ` → "(200) " … "(999) "),
 * indexed by its draws in mixed radix (`sizes`: the choices of each; none for a literal), or eight digits from one
 * draw. Every cell has this one shape, so evaluating them stays monomorphic.
 */
interface Cell {
  readonly table: readonly string[];
  readonly sizes: readonly number[];
  readonly eight: boolean;
}

// A cell's table holds at most this many strings; cells with the same pieces share one table.
const MAX_CELL = 1000;
const cellTables = new Map<string, readonly string[]>();

/**
 * Compiles a pattern of literals, `#` (a digit) and `!` (a digit 2–9) into cells. A `!` and each run of up to
 * 4 digits take one `below`, 8 digits one `next`; the draws of a cell combine into one table index, so a
 * phone number is a few lookups and concatenations.
 */
function digitCells(pattern: string): Cell[] {
  const cells: Cell[] = [];
  let pieces: (string | readonly string[])[] = [];
  let size = 1;
  const flush = () => {
    if (pieces.length === 0) return;
    const units = pieces.filter((p): p is readonly string[] => typeof p !== "string");
    // A unit is named by its number of choices: 8 (the digits 2–9) and 10, 100, 1000 (runs of digits) differ.
    const id = pieces.map((p) => (typeof p === "string" ? `'${p}` : `#${p.length}`)).join("\u0000");
    let table = pieces.length === 1 ? units[0] : cellTables.get(id);
    if (!table) {
      table = [""];
      for (const p of pieces) table = typeof p === "string" ? table.map((t) => t + p) : table.flatMap((t) => p.map((c) => t + c));
      table = table.map((t) => Buffer.from(t, "utf8").toString("utf8")); // flat strings, not concatenation trees
      cellTables.set(id, table);
    }
    cells.push({ table, sizes: units.map((u) => u.length), eight: false });
    pieces = [];
    size = 1;
  };
  const literal = (text: string) => {
    if (size > MAX_CELL) flush(); // no copy of a run of four digits with a literal attached
    pieces.push(text);
  };
  const unit = (choices: readonly string[]) => {
    if (size * choices.length > MAX_CELL) flush();
    pieces.push(choices);
    size *= choices.length;
  };
  const re = /#+|!/g;
  let last = 0;
  for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
    if (m.index > last) literal(pattern.slice(last, m.index));
    last = re.lastIndex;
    if (m[0] === "!") unit(DIGITS_2_TO_9);
    else {
      let n = m[0].length;
      for (; n >= 8; n -= 8) {
        flush();
        cells.push({ table: FOUR_DIGITS, sizes: [], eight: true });
      }
      for (; n > 0; n -= Math.min(4, n)) unit(DIGIT_STRINGS[Math.min(4, n)]!);
    }
  }
  if (last < pattern.length) literal(pattern.slice(last));
  flush();
  return cells;
}

function expandCells(cells: readonly Cell[], d: Draw): string {
  let s = "";
  for (let k = 0; k < cells.length; k++) {
    const c = cells[k]!;
    if (c.eight) {
      const x = d.next();
      s += FOUR_DIGITS[x % 10_000]! + FOUR_DIGITS[Math.floor(x / 10_000) % 10_000]!;
      continue;
    }
    const sizes = c.sizes;
    let i = 0;
    for (let j = 0; j < sizes.length; j++) i = i * sizes[j]! + d.below(sizes[j]!);
    s += c.table[i]!;
  }
  return s;
}

function toSnake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

function flatten(v: unknown): string[] {
  if (typeof v === "string") return [v];
  if (Array.isArray(v)) {
    return v.flatMap((x) => {
      if (typeof x === "string") return [x];
      if (x && typeof x === "object" && "value" in x) {
        const weight = Math.max(1, Math.min(100, Number((x as { weight?: number }).weight ?? 1)));
        return Array<string>(weight).fill(String((x as { value: unknown }).value));
      }
      return [];
    });
  }
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    // lists by sex (generic/female/male) are merged; phone formats keep the "human" ones
    if (Array.isArray(o.human)) return flatten(o.human);
    return [...new Set(Object.values(o).flatMap(flatten))];
  }
  return [];
}

const shared = new Map<string, LocaleData>();

/** The (shared, cached) data of a locale. @example localeData("fr").list("person.last_name") */
export function localeData(locale: string): LocaleData {
  let d = shared.get(locale);
  if (!d) {
    d = new LocaleData(locale);
    shared.set(locale, d);
  }
  return d;
}

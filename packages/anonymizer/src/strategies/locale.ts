import { allLocales, type LocaleDefinition } from "@faker-js/faker";
import { UsageError } from "@odoo-deploy/core";
import type { Draw } from "./prf.js";
import { asciiFold } from "./text.js";

/**
 * Direct access to faker's locale data (name lists, street patterns, phone formats), with the usual fallback
 * chain locale → en → base. Fakes are built by indexing these lists with a keyed pseudo-random draw, so no
 * faker instance is seeded per value.
 */
export class LocaleData {
  private readonly chain: LocaleDefinition[];
  private readonly cache = new Map<string, readonly string[]>();
  private readonly foldedCache = new Map<string, readonly string[]>();
  private readonly patterns = new Map<string, (draw: Draw) => string>();

  constructor(readonly locale: string) {
    const defs = allLocales as Record<string, LocaleDefinition>;
    const own = defs[locale];
    if (!own) throw new UsageError(`unknown faker locale "${locale}"`, { code: "UNKNOWN_LOCALE" });
    this.chain = [own, defs.en!, defs.base!].filter((d, i, a) => a.indexOf(d) === i);
  }

  /**
   * The string list at a data path (`person.first_name`, `location.street_suffix`); objects of lists (by sex)
   * are flattened; weighted entries are expanded by weight. Empty when no locale of the chain has it.
   */
  list(path: string): readonly string[] {
    const hit = this.cache.get(path);
    if (hit) return hit;
    let found: readonly string[] = [];
    for (const def of this.chain) {
      let v: unknown = def;
      for (const part of path.split(".")) v = v && typeof v === "object" ? (v as Record<string, unknown>)[part] : undefined;
      const flat = flatten(v);
      if (flat.length) {
        found = flat;
        break;
      }
    }
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
   * Expands a faker pattern: `{{person.firstName}}` references (camelCase method names map to snake_case data),
   * `#` a digit, `!` a digit 2–9.
   */
  expand(pattern: string, draw: Draw, depth = 0): string {
    let compiled = this.patterns.get(pattern);
    if (!compiled) {
      compiled = this.compilePattern(pattern, depth);
      this.patterns.set(pattern, compiled);
    }
    return compiled(draw);
  }

  /** Parses a pattern once into literal parts, list references and digit placeholders. */
  private compilePattern(pattern: string, depth: number): (draw: Draw) => string {
    if (!/\{\{|[#!]/.test(pattern)) return () => pattern;
    const parts: (string | ((d: Draw) => string))[] = [];
    const re = /\{\{\s*([a-zA-Z_]+)\.([a-zA-Z_]+)\s*\}\}|#|!/g;
    let last = 0;
    for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
      if (m.index > last) parts.push(pattern.slice(last, m.index));
      last = re.lastIndex;
      if (m[0] === "#") parts.push((d) => DIGITS[d.below(10)]!);
      else if (m[0] === "!") parts.push((d) => DIGITS[2 + d.below(8)]!);
      else {
        const items = depth < 4 ? this.list(`${m[1]}.${toSnake(m[2]!)}`) : [];
        parts.push(items.length ? (d) => this.expand(d.pick(items), d, depth + 1) : () => "");
      }
    }
    if (last < pattern.length) parts.push(pattern.slice(last));
    return (d) => {
      let s = "";
      for (const p of parts) s += typeof p === "string" ? p : p(d);
      return s;
    };
  }
}

const DIGITS = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

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

import { allLocales, type LocaleDefinition } from "@faker-js/faker";
import { UsageError } from "@odoo-deploy/core";
import type { Draw } from "./prf.js";

/**
 * Direct access to faker's locale data (name lists, street patterns, phone formats), with the usual fallback
 * chain locale → en → base. Fakes are built by indexing these lists with a keyed pseudo-random draw, so no
 * faker instance is seeded per value.
 */
export class LocaleData {
  private readonly chain: LocaleDefinition[];
  private readonly cache = new Map<string, readonly string[]>();

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

  /**
   * Expands a faker pattern: `{{person.firstName}}` references (camelCase method names map to snake_case data),
   * `#` a digit, `!` a digit 2–9.
   */
  expand(pattern: string, draw: Draw, depth = 0): string {
    let out = pattern;
    if (out.includes("{{") && depth < 4) {
      out = out.replace(/\{\{\s*([a-zA-Z_]+)\.([a-zA-Z_]+)\s*\}\}/g, (_m, mod: string, method: string) => {
        const items = this.list(`${mod}.${toSnake(method)}`);
        return items.length ? this.expand(draw.pick(items), draw, depth + 1) : "";
      });
    }
    if (out.includes("#") || out.includes("!")) {
      let s = "";
      for (const ch of out) s += ch === "#" ? String(draw.below(10)) : ch === "!" ? String(2 + draw.below(8)) : ch;
      out = s;
    }
    return out;
  }
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

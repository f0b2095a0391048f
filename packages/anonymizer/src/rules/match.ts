import { globToRegExp } from "@odoo-deploy/core/base";
import type { Rules } from "./load.js";
import type { ColumnRuleInput } from "./schema.js";

const globCache = new Map<string, RegExp>();

/**
 * Whether a table or column name matches a pattern: an exact name, or a glob with `*`, `?` and `[abc]`.
 *
 * @example matchName("res_partner*", "res_partner_bank") // true
 */
export function matchName(pattern: string, name: string): boolean {
  if (!/[*?[]/.test(pattern)) return pattern === name;
  let re = globCache.get(pattern);
  if (!re) {
    re = globToRegExp(pattern, { names: true });
    globCache.set(pattern, re);
  }
  return re.test(name);
}

/** Type categories kept by default (pg_type.typcategory): numbers, booleans, dates/times, intervals, enums, bits. */
export const KEPT_TYPE_CATEGORIES = new Set(["N", "B", "D", "T", "E", "V"]);

/** What governs a table. */
export interface TablePlan {
  action: "copy" | "truncate" | "skip";
  where?: string;
  cascade: boolean;
  /** Pattern and origin of the entry that set the action, for explanations. */
  actionFrom?: string;
}

/** How one column is covered. */
export type ColumnCoverage =
  | { covered: true; rule: ColumnRuleInput; via: string }
  | { covered: false };

/**
 * The table-level rule (action, where, cascade) for a table: the first matching entry that sets each.
 *
 * @example tablePlan(rules, "res_users_apikeys").action // "truncate" with the Odoo preset
 */
export function tablePlan(rules: Rules, table: string): TablePlan {
  let action: TablePlan["action"] | undefined;
  let actionFrom: string | undefined;
  let where: string | undefined;
  let cascade: boolean | undefined;
  for (const e of rules.tables) {
    if (!matchName(e.pattern, table)) continue;
    if (action === undefined && e.rule.action) {
      action = e.rule.action;
      actionFrom = `${e.origin}: tables.${e.pattern}`;
    }
    if (where === undefined && e.rule.where) where = e.rule.where;
    if (cascade === undefined && e.rule.cascade !== undefined) cascade = e.rule.cascade;
  }
  return { action: action ?? "copy", ...(where ? { where } : {}), cascade: cascade ?? false, ...(actionFrom ? { actionFrom } : {}) };
}

/**
 * The rule covering a column: the table's column rules (exact before glob, user before preset), then the
 * global column patterns, then the type default; uncovered text-like columns make `check` fail.
 *
 * @example columnCoverage(rules, "res_partner", "email", { type: "character varying", category: "S" })
 */
export function columnCoverage(
  rules: Rules,
  table: string,
  column: string,
  type: { type: string; category: string },
): ColumnCoverage {
  const entries = rules.tables.filter((e) => matchName(e.pattern, table) && e.rule.columns);
  for (const exact of [true, false]) {
    for (const e of entries) {
      for (const [pattern, rule] of Object.entries(e.rule.columns!)) {
        const isGlob = /[*?[]/.test(pattern);
        if (isGlob === exact) continue;
        if (matchName(pattern, column)) return { covered: true, rule, via: `${e.origin}: tables.${e.pattern}.columns.${pattern}` };
      }
    }
  }
  for (const exact of [true, false]) {
    for (const c of rules.columns) {
      const isGlob = /[*?[]/.test(c.pattern);
      if (isGlob === exact) continue;
      if (matchName(c.pattern, column)) return { covered: true, rule: c.rule, via: `${c.origin}: columns.${c.pattern}` };
    }
  }
  const byType = rules.types[type.type];
  if (byType !== undefined) return { covered: true, rule: byType, via: `types.${type.type}` };
  if (KEPT_TYPE_CATEGORIES.has(type.category)) return { covered: true, rule: "keep", via: `type default (${type.type})` };
  return { covered: false };
}

/** The strategy name of a column rule. @example strategyName({ strategy: "email" }) // "email" */
export function strategyName(rule: ColumnRuleInput): string {
  return typeof rule === "string" ? rule : rule.strategy;
}

/**
 * Whether a rule leaves values as they are, so the column can pass through as raw bytes (`keep`, unless it
 * must also be unique). @example passesThrough({ strategy: "keep" }) // true
 */
export function passesThrough(rule: ColumnRuleInput): boolean {
  return rule === "keep" || (typeof rule === "object" && rule.strategy === "keep" && !rule.unique);
}

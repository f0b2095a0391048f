import { quoteIdent } from "@odoo-deploy/core/base";
import type { Catalog, ColumnInfo, TableInfo } from "../engine/catalog.js";
import type { Rules } from "../rules/load.js";
import { columnCoverage, matchName, tablePlan, type TablePlan } from "../rules/match.js";
import type { ColumnRuleInput } from "../rules/schema.js";
import { suggestRule } from "./suggest.js";

/** A column of a copied table with the rule that covers it. */
export interface PlannedColumn extends ColumnInfo {
  rule: ColumnRuleInput;
  via: string;
}

/** A table with what will happen to it. */
export interface PlannedTable {
  info: TableInfo;
  plan: TablePlan;
  /** The SQL condition selecting the rows to copy (the rule's `where` and the cascades), if any. */
  filter?: string;
  /** Copied columns (generated ones excluded), in table order, with their rules. */
  columns: PlannedColumn[];
}

/** A column no rule covers. */
export interface UncoveredColumn {
  table: string;
  column: string;
  type: string;
  /** Suggested YAML value for `tables.<table>.columns.<column>`. */
  suggestion: string;
  reason: string;
}

/** Everything {@link buildPlan} decided and every reason to refuse running. */
export interface Plan {
  tables: PlannedTable[];
  uncovered: UncoveredColumn[];
  /** Foreign keys that rules would orphan, explained. */
  orphans: string[];
  /** Rules that cannot work on this schema (a `same_as` to a missing column, `null` on NOT NULL…). */
  invalid: string[];
  /** User table patterns that match no table (a typo is likely). */
  unmatched: string[];
}

const referenced = (rule: ColumnRuleInput): string[] => {
  if (typeof rule === "string") return [];
  switch (rule.strategy) {
    case "same_as":
      return [rule.column];
    case "template":
      return [...rule.template.matchAll(/\{\{\s*([^}\s]+)\s*\}\}/g)].map((m) => m[1]!);
    case "switch":
      return [rule.column, ...Object.values(rule.cases).flatMap(referenced), ...(rule.default ? referenced(rule.default) : [])];
    case "jsonb":
      return referenced(rule.each);
    default:
      return [];
  }
};

/** Column names a rule reads from its row (for `same_as`, `template`, `switch`). */
export { referenced as referencedColumns };

/**
 * Decides, for every table of the catalog, its action, row filter (with foreign-key cascades) and the rule of
 * every copied column; collects uncovered columns (with suggestions), orphaning rules and invalid rules.
 *
 * @example const plan = buildPlan(await readCatalog(client), loadRules({ preset: "odoo" }));
 */
export function buildPlan(catalog: Catalog, rules: Rules): Plan {
  const tables: PlannedTable[] = [];
  const uncovered: UncoveredColumn[] = [];
  const invalid: string[] = [];
  const orphans: string[] = [];
  for (const info of catalog.tables) {
    const plan = tablePlan(rules, info.ruleName);
    const columns: PlannedColumn[] = [];
    if (plan.action === "copy") {
      for (const c of info.columns) {
        if (c.generated) continue;
        const cov = columnCoverage(rules, info.ruleName, c.name, c);
        if (!cov.covered) {
          const s = suggestRule(c, info.ruleName);
          uncovered.push({ table: info.ruleName, column: c.name, type: c.type, suggestion: s.rule, reason: s.reason });
          continue;
        }
        columns.push({ ...c, rule: cov.rule, via: cov.via });
        const names = new Set(info.columns.map((x) => x.name));
        for (const ref of referenced(cov.rule)) {
          if (!names.has(ref)) invalid.push(`${info.ruleName}.${c.name}: rule (${cov.via}) refers to column ${ref}, which ${info.ruleName} does not have`);
        }
        const strategy = typeof cov.rule === "string" ? cov.rule : cov.rule.strategy;
        if (strategy === "null" && c.notNull) invalid.push(`${info.ruleName}.${c.name}: strategy null on a NOT NULL column (${cov.via})`);
        if (strategy === "jsonb" && c.type !== "jsonb" && c.type !== "json") invalid.push(`${info.ruleName}.${c.name}: strategy jsonb on a ${c.type} column (${cov.via})`);
      }
      if (plan.where) {
        plan.where = plan.where.trim();
      }
    }
    // On lines of its own, as check/where.ts validates it: nothing written after it can be taken into it.
    tables.push({ info, plan, columns, ...(plan.action === "copy" && plan.where ? { filter: `(\n${plan.where}\n)` } : {}) });
  }
  const byName = new Map(tables.map((t) => [t.info.ruleName, t]));
  // Cascades: a copied table whose foreign key points at a table losing rows loses the rows that would dangle.
  // Repeated until nothing changes, so cascades propagate down chains of references.
  const removesRows = (t: PlannedTable) => t.plan.action !== "copy" || t.filter !== undefined;
  const applied = new Set<string>();
  for (let pass = 0, changed = true; changed && pass < 50; pass++) {
    changed = false;
    for (const fk of catalog.foreignKeys) {
      const child = byName.get(fk.table);
      const parent = byName.get(fk.refTable);
      if (!child || !parent || child.plan.action !== "copy" || !removesRows(parent)) continue;
      const key = `${fk.table}:${fk.name}`;
      if (applied.has(key)) continue;
      const why = parent.plan.action !== "copy" ? `${parent.plan.action}s ${parent.info.ruleName}` : `filters ${parent.info.ruleName} (where: ${parent.plan.where ?? "cascade"})`;
      if (!parent.plan.cascade && !child.plan.cascade) {
        if (!orphans.some((o) => o.startsWith(`${key} `))) {
          orphans.push(
            `${key} (${fk.columns.join(", ")} → ${fk.refTable}): the rules ${why}, leaving rows of ${fk.table} pointing at rows that are not copied; add \`cascade: true\` to tables.${parent.info.ruleName} to drop those rows too, or treat ${fk.table} the same way`,
          );
        }
        continue;
      }
      if (fk.table === fk.refTable) {
        orphans.push(`${key}: cascading over a self-reference of ${fk.table} is not supported; use a where that keeps whole hierarchies`);
        applied.add(key);
        continue;
      }
      const cols = fk.columns.map(quoteIdent);
      const nullable = cols.map((c) => `${c} IS NULL`).join(" OR ");
      const cond =
        parent.plan.action !== "copy"
          ? `(${nullable})`
          : `(${nullable} OR (${cols.join(", ")}) IN (SELECT ${fk.refColumns.map(quoteIdent).join(", ")} FROM ${parent.info.sql} WHERE ${parent.filter}))`;
      child.filter = child.filter ? `${child.filter} AND ${cond}` : cond;
      // A cascade goes on down: rows referencing the rows this one loses are dropped too.
      child.plan.cascade = true;
      applied.add(key);
      changed = true;
    }
  }
  const unmatched = rules.tables
    .filter((e) => e.origin === "rules" && !catalog.tables.some((t) => matchName(e.pattern, t.ruleName)))
    .map((e) => e.pattern);
  return { tables, uncovered, orphans, invalid, unmatched };
}

/**
 * YAML for the uncovered columns, ready to paste under `tables:` of a rules file.
 *
 * @example console.log(suggestedRulesYaml(plan.uncovered));
 */
export function suggestedRulesYaml(uncovered: UncoveredColumn[]): string {
  if (uncovered.length === 0) return "";
  const lines = ["tables:"];
  let last = "";
  for (const u of uncovered) {
    if (u.table !== last) {
      lines.push(`  ${yamlKey(u.table)}:`, "    columns:");
      last = u.table;
    }
    lines.push(`      ${yamlKey(u.column)}: ${u.suggestion}  # ${u.type}: ${u.reason}`);
  }
  return `${lines.join("\n")}\n`;
}

const yamlKey = (s: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(s) ? s : JSON.stringify(s));

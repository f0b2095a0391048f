import { durationSince, parseDbUrl, redactUrl, throwIfAborted, withClient, type Check, type EventHandler, type ReportBase } from "@odoo-deploy/core/base";
import type pg from "pg";
import { readCatalog, type Catalog } from "../engine/catalog.js";
import type { Rules } from "../rules/load.js";
import { resolveRulesSource, type RulesSource } from "../rules/source.js";
import { buildPlan, suggestedRulesYaml, type Plan, type UncoveredColumn } from "./plan.js";
import { checkWheres } from "./where.js";

/** Events of {@link checkRules}. */
export type CheckEvent = { type: "anonymize:catalog"; tables: number; columns: number };

/** Options of {@link checkRules}. */
export interface CheckRulesOptions extends RulesSource {
  /** PostgreSQL URL of the database to anonymize. */
  sourceUrl: string;
  signal?: AbortSignal;
  onEvent?: EventHandler<CheckEvent>;
}

/** What {@link checkRules} found. */
export interface CheckRulesReport extends ReportBase {
  source: string;
  checks: Check[];
  tables: { copied: number; truncated: number; skipped: number };
  /** Columns no rule covers, each with a suggested rule. */
  uncovered: UncoveredColumn[];
  /** YAML to paste under `tables:` for the uncovered columns. */
  suggestedRules: string;
  orphans: string[];
  invalid: string[];
  /** Table patterns of the user's rules matching no table. */
  unmatched: string[];
}

/**
 * Compares the source schema with the rules, fail-closed: every column of every copied table must be covered
 * (a column rule, a pattern, a type default or an explicit keep); rules must not orphan rows referenced by
 * foreign keys (unless they cascade) and must fit the schema. The same check runs before every anonymization.
 *
 * @example
 * const r = await checkRules({ sourceUrl, preset: "odoo" });
 * if (!r.ok) console.error(r.suggestedRules);
 */
export async function checkRules(options: CheckRulesOptions): Promise<CheckRulesReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  parseDbUrl(options.sourceUrl);
  const rules = resolveRulesSource(options);
  const plan = await withClient(
    options.sourceUrl,
    async (c) => {
      await c.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      const catalog = await readCatalog(c);
      options.onEvent?.({ type: "anonymize:catalog", tables: catalog.tables.length, columns: catalog.tables.reduce((n, t) => n + t.columns.length, 0) });
      return planOnSource(c, catalog, rules);
    },
    { signal: options.signal, applicationName: "odoo-deploy anonymize check", readOnly: true },
  );
  return { ...planReport(plan), source: redactUrl(options.sourceUrl), durationMs: durationSince(start) };
}

/**
 * The plan of `rules` for the source's catalog, with the rules' `where` expressions checked on the source
 * (check/where.ts): what `check`, the engine and `verify` judge. `client` is in a transaction on the source.
 *
 * @example const plan = await planOnSource(client, await readCatalog(client), rules);
 */
export async function planOnSource(client: pg.Client, catalog: Catalog, rules: Rules): Promise<Plan> {
  const plan = buildPlan(catalog, rules);
  plan.invalid.push(...(await checkWheres(client, plan.tables)));
  return plan;
}

/** The check report of a plan (shared by `check`, the engines and `verify`). */
export function planReport(plan: Plan): Omit<CheckRulesReport, "source" | "durationMs"> {
  const checks: Check[] = [
    plan.uncovered.length === 0
      ? { name: "coverage", status: "ok", detail: `${plan.tables.reduce((n, t) => n + t.columns.length, 0)} columns covered` }
      : {
          name: "coverage",
          status: "failed",
          detail: `${plan.uncovered.length} column(s) not covered by any rule: ${plan.uncovered
            .slice(0, 20)
            .map((u) => `${u.table}.${u.column}`)
            .join(", ")}${plan.uncovered.length > 20 ? ", …" : ""}`,
        },
    plan.orphans.length === 0
      ? { name: "foreign-keys", status: "ok" }
      : { name: "foreign-keys", status: "failed", detail: plan.orphans.join("; ") },
    plan.invalid.length === 0 ? { name: "rules-fit-schema", status: "ok" } : { name: "rules-fit-schema", status: "failed", detail: plan.invalid.join("; ") },
    plan.unmatched.length === 0
      ? { name: "rules-match-tables", status: "ok" }
      : { name: "rules-match-tables", status: "skipped", detail: `no table matches: ${plan.unmatched.join(", ")}` },
  ];
  const count = (a: string) => plan.tables.filter((t) => t.plan.action === a).length;
  return {
    ok: checks.every((c) => c.status !== "failed"),
    checks,
    tables: { copied: count("copy"), truncated: count("truncate"), skipped: count("skip") },
    uncovered: plan.uncovered,
    suggestedRules: suggestedRulesYaml(plan.uncovered),
    orphans: plan.orphans,
    invalid: plan.invalid,
    unmatched: plan.unmatched,
  };
}

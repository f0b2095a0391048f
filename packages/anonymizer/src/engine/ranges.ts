import { quoteIdent, type Queryable } from "@odoo-deploy/core";
import type { PlannedTable } from "../check/plan.js";
import type { ColumnRuleInput } from "../rules/schema.js";

/** One COPY to run: a table, or a range of it. */
export interface WorkItem {
  table: PlannedTable;
  /** Extra condition selecting a range of the table (ctid blocks or primary-key values). */
  range?: string;
  weight: number;
}

/** A work item per copied table, weighted by its size on disk. */
export function workItems(planned: PlannedTable[]): WorkItem[] {
  return planned.filter((t) => t.plan.action === "copy").map((table) => ({ table, weight: Math.max(table.info.bytes, 8192) }));
}

/** Whether a rule (or one nested in a `switch` or `jsonb`) must not produce the same value twice. */
function hasUniqueRule(rule: ColumnRuleInput): boolean {
  if (typeof rule === "string") return false;
  if ("unique" in rule && rule.unique) return true;
  if (rule.strategy === "switch") return Object.values(rule.cases).some(hasUniqueRule) || (rule.default !== undefined && hasUniqueRule(rule.default));
  if (rule.strategy === "jsonb") return hasUniqueRule(rule.each);
  return false;
}

/**
 * Splits big tables into ranges of about `splitBytes`: block ranges (`ctid`, a TID range scan, PostgreSQL 14+:
 * as cheap as a plain scan, any table) or else ranges of a one-column integer primary key. The last range is
 * open-ended, so rows in blocks added since the size was read are still copied. Tables with a `unique` rule
 * stay whole: uniqueness is enforced by the one worker that sees all of the column's values.
 */
export async function splitRanges(client: Queryable, version: number, items: WorkItem[], splitBytes: number, jobs: number): Promise<void> {
  for (const item of [...items]) {
    const t = item.table;
    if (t.info.bytes <= splitBytes || t.columns.some((c) => hasUniqueRule(c.rule))) continue;
    const parts = Math.max(jobs, Math.ceil(t.info.bytes / splitBytes));
    const ranges = version >= 140000 ? await blockRanges(client, t, parts) : await keyRanges(client, t, parts);
    if (ranges.length < 2) continue;
    items.splice(items.indexOf(item), 1);
    for (const range of ranges) items.push({ table: t, range, weight: item.weight / ranges.length });
  }
}

async function blockRanges(client: Queryable, t: PlannedTable, parts: number): Promise<string[]> {
  const r = await client.query<{ blocks: string }>(`SELECT (pg_relation_size($1::regclass) / current_setting('block_size')::int)::text AS blocks`, [t.info.sql]);
  const blocks = Number(r.rows[0]!.blocks);
  const span = Math.ceil(blocks / parts);
  if (span < 1) return [];
  const ranges: string[] = [];
  for (let a = 0; a < blocks; a += span) ranges.push(a + span >= blocks ? `ctid >= '(${a},0)'` : `ctid >= '(${a},0)' AND ctid < '(${a + span},0)'`);
  return ranges;
}

async function keyRanges(client: Queryable, t: PlannedTable, parts: number): Promise<string[]> {
  if (t.info.primaryKey.length !== 1) return [];
  const pk = t.info.columns.find((c) => c.name === t.info.primaryKey[0]);
  if (!pk || !["integer", "bigint", "smallint"].includes(pk.type)) return [];
  const col = quoteIdent(pk.name);
  const r = await client.query<{ lo: string | null; hi: string | null }>(`SELECT min(${col})::text AS lo, max(${col})::text AS hi FROM ${t.info.sql}`);
  const lo = r.rows[0]?.lo;
  const hi = r.rows[0]?.hi;
  if (lo == null || hi == null) return [];
  const span = (BigInt(hi) - BigInt(lo) + 1n) / BigInt(parts) + 1n;
  return Array.from({ length: parts }, (_, i) => {
    const a = BigInt(lo) + span * BigInt(i);
    return i === parts - 1 ? `${col} >= ${a}` : `${col} >= ${a} AND ${col} < ${a + span}`;
  });
}

/**
 * What a rollback would lose: the rows written since a moment, per table, read from the `create_date` and
 * `write_date` columns Odoo keeps on every model's table (UTC, without time zone).
 */
import type { Queryable } from "../db/connection.js";
import { quoteIdent } from "../db/connection.js";

/** Rows of one table created or written after the moment asked about. */
export interface RowsWritten {
  table: string;
  rows: number;
}

/**
 * Counts, in every table that has Odoo's `create_date` / `write_date` columns, the rows created or written
 * after `since`; tables with none are left out. Sorted by count, highest first.
 *
 * @example
 * const lost = await rowsWrittenSince(client, new Date("2026-12-02T14:02:00Z"));
 * // [{ table: "mail_message", rows: 30 }, { table: "sale_order", rows: 5 }]
 */
export async function rowsWrittenSince(db: Queryable, since: Date): Promise<RowsWritten[]> {
  const tables = await db.query<{ schema: string; table: string; created: boolean; written: boolean }>(
    `SELECT c.table_schema AS schema, c.table_name AS table,
            bool_or(c.column_name = 'create_date') AS created, bool_or(c.column_name = 'write_date') AS written
       FROM information_schema.columns c
       JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
      WHERE c.column_name IN ('create_date', 'write_date') AND c.data_type LIKE 'timestamp%'
        AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
      GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  // Odoo stores UTC without a time zone: compare with the moment written the same way.
  const at = since.toISOString().replace("T", " ").replace("Z", "");
  const out: RowsWritten[] = [];
  for (const t of tables.rows) {
    const conds = [...(t.created ? ["create_date > $1::timestamp"] : []), ...(t.written ? ["write_date > $1::timestamp"] : [])];
    const name = t.schema === "public" ? t.table : `${t.schema}.${t.table}`;
    const r = await db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdent(t.schema)}.${quoteIdent(t.table)} WHERE ${conds.join(" OR ")}`, [at]);
    const rows = Number(r.rows[0]!.n);
    if (rows > 0) out.push({ table: name, rows });
  }
  return out.sort((a, b) => b.rows - a.rows || a.table.localeCompare(b.table));
}

/** `mail_message 30, sale_order 5` — the rows a rollback would lose, for a sentence. */
export function describeRowsWritten(rows: readonly RowsWritten[], limit = 10): string {
  const shown = rows.slice(0, limit).map((r) => `${r.table} ${r.rows}`);
  return `${shown.join(", ")}${rows.length > limit ? `, and ${rows.length - limit} more tables` : ""}`;
}

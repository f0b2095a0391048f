import { quoteIdent, type Queryable } from "./connection.js";

/**
 * Column types of a table of the current schema, from the catalog (`format_type`: `jsonb`, `character varying`,
 * `text`…); empty when there is no such table. Odoo changes column types between series (`ir_cron.cron_name` is
 * jsonb in 16 and varchar in 17 and 18), so queries on Odoo tables read them instead of assuming one.
 *
 * @example (await columnTypes(client, "ir_cron")).get("cron_name") // "jsonb" on 16, "character varying" on 17
 */
export async function columnTypes(db: Queryable, table: string): Promise<Map<string, string>> {
  const r = await db.query<{ name: string; type: string }>(
    `SELECT a.attname AS name, format_type(a.atttypid, NULL) AS type
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p', 'v')
        AND a.attnum > 0 AND NOT a.attisdropped`,
    [table],
  );
  return new Map(r.rows.map((x) => [x.name, x.type]));
}

/**
 * An SQL expression giving a column's value as text to show, whatever its type: a translated field (jsonb keyed
 * by language) gives its `en_US` value, or its JSON when it has none; any other type its text form.
 *
 * @example `SELECT ${displayText("cron_name", types.get("cron_name"))} AS name FROM ir_cron`
 */
export function displayText(column: string, type: string | undefined): string {
  const c = quoteIdent(column);
  return type === "jsonb" || type === "json" ? `coalesce(${c}->>'en_US', ${c}::text)` : `${c}::text`;
}

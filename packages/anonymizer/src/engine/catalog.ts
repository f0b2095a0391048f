import { quoteIdent, type Queryable } from "@odoo-deploy/core/base";

/** One column as the engine sees it. */
export interface ColumnInfo {
  name: string;
  /** `format_type` without modifiers: `character varying`, `text`, `jsonb`, `integer`, `text[]`. */
  type: string;
  /** pg_type.typcategory: S string, N numeric, A array, U user-defined (json, bytea, uuid), … */
  category: string;
  notNull: boolean;
  /** Generated columns are not copied (PostgreSQL computes them). */
  generated: boolean;
  /**
   * The type is built in (its binary form, which names element types by OID, means the same in any database),
   * is not an OID alias (`regclass`, `regrole`…: binary COPY would carry the source's OIDs, text carries names)
   * and has binary send/receive functions, so COPY can move it in binary format.
   */
  binary: boolean;
}

/** A foreign key between two tables. */
export interface ForeignKeyInfo {
  name: string;
  /** Referencing table (rules name) and columns. */
  table: string;
  columns: string[];
  /** Referenced table and columns. */
  refTable: string;
  refColumns: string[];
}

/** One ordinary table. */
export interface TableInfo {
  schema: string;
  name: string;
  /** The name rules use: `name` in `public`, else `schema.name`. */
  ruleName: string;
  /** `"schema"."name"`, quoted for SQL. */
  sql: string;
  columns: ColumnInfo[];
  /** Primary key columns (empty when none). */
  primaryKey: string[];
  /** pg_class.reltuples estimate. */
  rowEstimate: number;
  /** pg_table_size in bytes (heap + TOAST). */
  bytes: number;
}

/** Tables, foreign keys and sequences of a database. */
export interface Catalog {
  tables: TableInfo[];
  foreignKeys: ForeignKeyInfo[];
  sequences: { sql: string; name: string }[];
}

const ruleName = (schema: string, name: string) => (schema === "public" ? name : `${schema}.${name}`);

/**
 * Reads the user tables (ordinary and partitioned leaves), their columns with types, primary keys, foreign
 * keys and sequences of the database `db` is connected to (inside the caller's snapshot, if any).
 *
 * @example const catalog = await readCatalog(client);
 */
export async function readCatalog(db: Queryable): Promise<Catalog> {
  const cols = await db.query<{
    schema: string; table: string; column: string; type: string; category: string;
    notnull: boolean; generated: string; binary: boolean; reltuples: number; bytes: string;
  }>(`
    SELECT n.nspname AS schema, c.relname AS table, a.attname AS column,
           regexp_replace(format_type(a.atttypid, NULL), '\\(.*\\)', '') AS type,
           t.typcategory AS category, a.attnotnull AS notnull, a.attgenerated AS generated,
           (a.atttypid < 16384 AND t.typname !~ '^_?reg' AND t.typsend::oid <> 0 AND t.typreceive::oid <> 0
            AND (t.typelem = 0 OR EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typsend::oid <> 0 AND e.typreceive::oid <> 0))) AS binary,
           c.reltuples::float8 AS reltuples, pg_table_size(c.oid) AS bytes
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      JOIN pg_type t ON t.oid = a.atttypid
     WHERE c.relkind = 'r'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
     ORDER BY n.nspname, c.relname, a.attnum`);
  const byKey = new Map<string, TableInfo>();
  for (const r of cols.rows) {
    const key = `${r.schema}.${r.table}`;
    let t = byKey.get(key);
    if (!t) {
      t = {
        schema: r.schema,
        name: r.table,
        ruleName: ruleName(r.schema, r.table),
        sql: `${quoteIdent(r.schema)}.${quoteIdent(r.table)}`,
        columns: [],
        primaryKey: [],
        rowEstimate: Math.max(0, Number(r.reltuples)),
        bytes: Number(r.bytes),
      };
      byKey.set(key, t);
    }
    t.columns.push({ name: r.column, type: r.type, category: r.category, notNull: r.notnull, generated: r.generated !== "", binary: r.binary });
  }
  const cons = await db.query<{ contype: string; name: string; schema: string; table: string; cols: string[]; fschema: string | null; ftable: string | null; fcols: string[] | null }>(`
    SELECT con.contype, con.conname AS name, n.nspname AS schema, c.relname AS table,
           ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
           fn.nspname AS fschema, fc.relname AS ftable,
           ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
                   JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS fcols
      FROM pg_constraint con
      JOIN pg_class c ON c.oid = con.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_class fc ON fc.oid = con.confrelid LEFT JOIN pg_namespace fn ON fn.oid = fc.relnamespace
     WHERE con.contype IN ('p', 'f')`);
  const foreignKeys: ForeignKeyInfo[] = [];
  for (const r of cons.rows) {
    const t = byKey.get(`${r.schema}.${r.table}`);
    if (!t) continue;
    if (r.contype === "p") t.primaryKey = r.cols;
    else if (r.fschema && r.ftable && byKey.has(`${r.fschema}.${r.ftable}`)) {
      foreignKeys.push({ name: r.name, table: t.ruleName, columns: r.cols, refTable: ruleName(r.fschema, r.ftable), refColumns: r.fcols ?? [] });
    }
  }
  const seqs = await db.query<{ schema: string; name: string }>(`
    SELECT n.nspname AS schema, c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e')
     ORDER BY 1, 2`);
  return {
    tables: [...byKey.values()],
    foreignKeys,
    sequences: seqs.rows.map((s) => ({ name: ruleName(s.schema, s.name), sql: `${quoteIdent(s.schema)}.${quoteIdent(s.name)}` })),
  };
}

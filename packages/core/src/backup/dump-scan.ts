/**
 * What a dump holds, read from its text: tables created (plain SQL or `pg_restore --list`), and the
 * filestore files `ir_attachment.store_fname` references (from its COPY data).
 */
import { LineSplitter } from "../runner/output.js";

/** Tables every Odoo database has; a dump without them is not a usable Odoo backup. */
export const REQUIRED_ODOO_TABLES = ["ir_module_module", "ir_config_parameter", "res_company", "res_partner", "res_users"] as const;

/**
 * Table names (`schema.table`) in `pg_restore --list` output (`215; 1259 16390 TABLE public res_partner odoo`).
 *
 * @example parseTocTables("215; 1259 16390 TABLE public res_partner odoo").has("public.res_partner") // true
 */
export function parseTocTables(list: string): Set<string> {
  const out = new Set<string>();
  for (const line of list.split("\n")) {
    const m = line.match(/^\d+;\s+\d+\s+\d+\s+TABLE\s+(?!DATA\s)(\S+)\s+(\S+)/);
    if (m) out.add(`${m[1]}.${m[2]}`);
  }
  return out;
}

/** Required Odoo tables absent from a set of `schema.table` names. @example missingOdooTables(new Set(["public.res_partner"])) // ["ir_module_module", …] */
export function missingOdooTables(tables: Set<string>): string[] {
  const names = new Set([...tables].map((t) => t.slice(t.indexOf(".") + 1)));
  return REQUIRED_ODOO_TABLES.filter((t) => !names.has(t));
}

/**
 * Reads SQL text as it streams past (feed it with `push`, then `end`): collects `CREATE TABLE` names and
 * the `store_fname` values of `ir_attachment`'s COPY block.
 *
 * @example const s = new SqlDumpScanner(); s.push(chunk); s.end(); s.tables; s.storeFnames;
 */
export class SqlDumpScanner {
  readonly tables = new Set<string>();
  readonly storeFnames = new Set<string>();
  /** True when the dump contained ir_attachment's data. */
  sawAttachmentData = false;
  private copyColumn: number | undefined;
  private inCopy = false;
  private readonly splitter = new LineSplitter((l) => this.line(l));

  push(chunk: Buffer): void {
    this.splitter.push(chunk);
  }

  end(): void {
    this.splitter.end();
  }

  private line(l: string): void {
    if (this.inCopy) {
      if (l === "\\.") {
        this.inCopy = false;
        this.copyColumn = undefined;
        return;
      }
      if (this.copyColumn === undefined) return;
      const v = l.split("\t")[this.copyColumn];
      if (v !== undefined && v !== "\\N" && v !== "") this.storeFnames.add(unescapeCopy(v));
      return;
    }
    if (l.startsWith("CREATE TABLE ")) {
      const m = l.match(/^CREATE TABLE (?:IF NOT EXISTS )?("?[^".\s]+"?)\.("?[^"\s(]+"?)/);
      if (m) this.tables.add(`${unquote(m[1]!)}.${unquote(m[2]!)}`);
      return;
    }
    if (l.startsWith("COPY ") && l.endsWith("FROM stdin;")) {
      this.inCopy = true;
      const m = l.match(/^COPY ("?[^".\s]+"?)\.("?[^"\s(]+"?) \((.*)\) FROM stdin;$/);
      if (m && unquote(m[2]!) === "ir_attachment") {
        this.sawAttachmentData = true;
        const cols = m[3]!.split(", ").map(unquote);
        const i = cols.indexOf("store_fname");
        this.copyColumn = i >= 0 ? i : undefined;
      }
    }
  }
}

function unquote(s: string): string {
  return s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replace(/""/g, '"') : s;
}

/** Undoes COPY text escaping of one field. @example unescapeCopy("a\\tb") // "a<TAB>b" */
export function unescapeCopy(v: string): string {
  if (!v.includes("\\")) return v;
  return v.replace(/\\(.)/g, (_m, c: string) => ({ t: "\t", n: "\n", r: "\r", b: "\b", f: "\f", v: "\v" })[c] ?? c);
}

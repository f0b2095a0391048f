/**
 * What a table's `where` may be: one SQL boolean expression over the table's columns, read on the source inside
 * the run's read-only snapshot. It is embedded in `COPY (SELECT … WHERE (<where>) AND <range>) TO STDOUT` and in
 * the cascades of the tables referencing it, so it must be self-contained (no `;`, no comment, no parenthesis it
 * did not open) and deterministic and harmless (it may call only functions and operators PostgreSQL marks
 * immutable or stable: never `pg_terminate_backend`, `set_config`, `nextval`, `lo_import`, `dblink…`, `random`).
 * The scan below is the policy; PostgreSQL then parses and analyses the expression without running it, and every
 * COPY text is parsed again by the server, as one statement, before it runs (see copy-item.ts).
 */
import { describeStatement } from "@odoo-deploy/core/base";
import type pg from "pg";
import type { PlannedTable } from "./plan.js";

/** What a `where` calls, found by {@link scanWhere}. */
export interface WhereScan {
  /** Names of called functions (unquoted ones in lower case), as written before a `(`. */
  calls: string[];
  /** Operators, as written (and as PostgreSQL splits a trailing `+`/`-`). */
  operators: string[];
  /**
   * Every name it holds (unquoted ones in lower case, quoted ones as written): the columns it reads are among
   * them, with keywords and function names (the stream filter compares them with the transformed columns).
   */
  names: string[];
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CONT = /[A-Za-z0-9_$\u0080-\uffff]/;
const OP_CHARS = "+-*/<>=~!@#%^&|`?";

/**
 * Scans a `where` expression the way PostgreSQL's lexer reads it, refusing what could make it more than one
 * self-contained expression, or hide a call from this scan: `;`, comments, dollar quotes and `$n` parameters,
 * `E'…'` and `U&` escapes, a backslash outside a string, unbalanced parentheses or brackets. Returns the
 * functions and operators it calls (a name after a dot counts as a call: `x.f` is f(x) to PostgreSQL when x is
 * a row), or the reason it is refused.
 *
 * @example scanWhere("lower(email) LIKE '%@corp.example'") // { calls: ["lower"], operators: [] } (LIKE is a keyword)
 */
export function scanWhere(expr: string, standardConformingStrings = true): WhereScan | { error: string } {
  const calls = new Set<string>();
  const operators = new Set<string>();
  const names = new Set<string>();
  const stack: string[] = [];
  /** The previous token, when it was a name (a `(` after it is a call). */
  let name: string | undefined;
  /** Whether the previous token was a `.`: `x.f` may call f(x) (PostgreSQL's attribute notation for functions). */
  let dotted = false;
  let i = 0;
  const n = expr.length;
  if (expr.trim() === "") return { error: "it is empty" };
  while (i < n) {
    const c = expr[i]!;
    // PostgreSQL's whitespace; other spaces (a no-break space) are letters of a name to it.
    if (/[ \t\n\r\f]/.test(c)) {
      i++;
      continue;
    }
    const afterDot = dotted;
    dotted = false;
    if (c === "'") {
      const end = stringEnd(expr, i, standardConformingStrings);
      if (end < 0) return { error: "a string is not closed" };
      i = end;
      name = undefined;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let id = "";
      for (;;) {
        if (j >= n) return { error: "a quoted name is not closed" };
        if (expr[j] === '"') {
          if (expr[j + 1] === '"') {
            id += '"';
            j += 2;
            continue;
          }
          break;
        }
        id += expr[j++];
      }
      i = j + 1;
      name = id;
      names.add(id);
      if (afterDot) calls.add(id);
      continue;
    }
    if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < n && IDENT_CONT.test(expr[j]!)) j++;
      const word = expr.slice(i, j);
      const lower = word.replace(/[A-Z]/g, (m) => m.toLowerCase());
      if ((lower === "e" && expr[j] === "'") || (lower === "u" && expr[j] === "&")) return { error: `escape literals (${word}${expr[j]}…) are not allowed` };
      i = j;
      name = lower;
      names.add(lower);
      if (afterDot) calls.add(lower);
      continue;
    }
    if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(expr[i + 1] ?? ""))) {
      const m = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/.exec(expr.slice(i))!;
      i += m[0].length;
      name = undefined;
      continue;
    }
    if (c === "(" || c === "[") {
      if (c === "(" && name !== undefined) calls.add(name);
      stack.push(c === "(" ? ")" : "]");
      i++;
      name = undefined;
      continue;
    }
    if (c === ")" || c === "]") {
      if (stack.pop() !== c) return { error: `it closes a ${c === ")" ? "parenthesis" : "bracket"} it did not open` };
      i++;
      name = undefined;
      continue;
    }
    if (c === ";") return { error: "it holds a `;`: one expression only" };
    if (c === "$") return { error: "dollar quotes and $n parameters are not allowed" };
    if (c === "\\") return { error: "a backslash outside a string is not allowed" };
    if (OP_CHARS.includes(c)) {
      let j = i;
      while (j < n && OP_CHARS.includes(expr[j]!)) j++;
      const op = expr.slice(i, j);
      if (op.includes("--") || op.includes("/*")) return { error: "comments are not allowed" };
      operators.add(op);
      // PostgreSQL ends an operator before a trailing + or - unless it holds one of ~!@#%^&|`?.
      if (!/[~!@#%^&|`?]/.test(op)) {
        const trimmed = op.replace(/[+-]+$/, "");
        if (trimmed) operators.add(trimmed);
        for (const ch of op.slice(trimmed.length)) operators.add(ch);
      }
      i = j;
      name = undefined;
      continue;
    }
    if (c === "," || c === "." || c === ":") {
      i++;
      // A qualified name (schema.f) is named by its last part, which the dot marks as a possible call too.
      if (c === ".") dotted = true;
      name = undefined;
      continue;
    }
    return { error: `unexpected character ${JSON.stringify(c)}` };
  }
  if (stack.length) return { error: "a parenthesis or bracket is not closed" };
  return { calls: [...calls], operators: [...operators], names: [...names] };
}

/** Index just past the string literal starting at `start`, or -1 when it is not closed. */
function stringEnd(s: string, start: number, standard: boolean): number {
  let j = start + 1;
  while (j < s.length) {
    const ch = s[j]!;
    if (!standard && ch === "\\") {
      j += 2;
      continue;
    }
    if (ch === "'") {
      if (s[j + 1] === "'") {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return -1;
}

/**
 * Checks the `where` of every copied table against the source, without running any: the scan above, then
 * PostgreSQL's catalog for volatile functions and operators of the names it calls (any volatile overload
 * refuses the name), then PostgreSQL's own parse and analysis of `SELECT 1 FROM ONLY <table> WHERE (<where>)`.
 * Returns one message per refused rule. `client` must be in a transaction (savepoints keep it usable).
 *
 * @example plan.invalid.push(...(await checkWheres(client, plan.tables)));
 */
export async function checkWheres(client: pg.Client, tables: PlannedTable[]): Promise<string[]> {
  const problems: string[] = [];
  const withWhere = tables.filter((t) => t.plan.action === "copy" && t.plan.where);
  if (withWhere.length === 0) return problems;
  const scs = (await client.query<{ v: string }>("SELECT current_setting('standard_conforming_strings') AS v")).rows[0]!.v === "on";
  for (const t of withWhere) {
    const where = t.plan.where!;
    const refuse = (why: string) => problems.push(`${t.info.ruleName}: where ${JSON.stringify(where)} is refused: ${why}`);
    const scan = scanWhere(where, scs);
    if ("error" in scan) {
      refuse(scan.error);
      continue;
    }
    const volatile = await volatileNames(client, scan);
    if (volatile.length) {
      refuse(`it calls ${volatile.join(", ")}, which PostgreSQL marks volatile (a where may read, never act, and must give the same rows each time it is evaluated)`);
      continue;
    }
    await client.query("SAVEPOINT odoo_deploy_where");
    try {
      await describeStatement(client, `SELECT 1 FROM ONLY ${t.info.sql} WHERE (\n${where}\n)`);
      await client.query("RELEASE SAVEPOINT odoo_deploy_where");
    } catch (e) {
      await client.query("ROLLBACK TO SAVEPOINT odoo_deploy_where");
      refuse(`PostgreSQL: ${(e as Error).message}`);
    }
  }
  return problems;
}

/**
 * The functions and operators among a scan's calls that PostgreSQL marks volatile (any overload counts), read
 * from the catalog of the server `client` is connected to.
 *
 * @example const bad = await volatileNames(client, scan); // ["pg_terminate_backend()"]
 */
export async function volatileNames(client: pg.Client, scan: WhereScan): Promise<string[]> {
  const r = await client.query<{ name: string }>(
    `SELECT DISTINCT p.proname || '()' AS name FROM pg_proc p WHERE p.proname = ANY($1::text[]) AND p.provolatile = 'v'
     UNION SELECT DISTINCT 'operator ' || o.oprname FROM pg_operator o JOIN pg_proc p ON p.oid = o.oprcode WHERE o.oprname = ANY($2::text[]) AND p.provolatile = 'v'
     ORDER BY 1`,
    [scan.calls, scan.operators],
  );
  return r.rows.map((x) => x.name);
}

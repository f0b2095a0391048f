/**
 * Finding modules the way Odoo 16–18 does: each directory of the addons path, first match wins, a module is a
 * sub-directory holding `__manifest__.py`. `base` is built into the double (it lives in odoo/addons, which Odoo
 * always puts first on the addons path).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parsePythonLiteral, type PyValue } from "./pylit.js";
import { VERSION, type Series } from "./version.js";

/** A module found on the addons path, with its manifest read like Odoo's `load_manifest`. */
export interface OdooModule {
  name: string;
  /** Directory of the module; `null` for the built-in base. */
  dir: string | null;
  shortdesc: string;
  version: string;
  depends: string[];
  /** Dependencies that must be installed for auto_install (all of `depends` when `auto_install: True`). */
  autoInstall: string[] | null;
  installable: boolean;
  data: string[];
  application: boolean;
  author: string;
  license: string;
  summary: string;
}

/** Odoo's `adapt_version`: prefixes the series unless the version already starts with it. @example adaptVersion("1.3", "16.0") // "16.0.1.3" */
export function adaptVersion(version: string, series: Series = VERSION.series): string {
  if (version === series || !version.startsWith(`${series}.`)) return `${series}.${version}`;
  return version;
}

/** The built-in base module (manifest version `1.3`, stored as `16.0.1.3`, `17.0.1.3`, `18.0.1.3`). */
export const BASE_MODULE: OdooModule = {
  name: "base",
  dir: null,
  shortdesc: "Base",
  version: "1.3",
  depends: [],
  autoInstall: null,
  installable: true,
  data: [],
  application: false,
  author: "Odoo S.A.",
  license: "LGPL-3",
  summary: "",
};

/** base's data/neutralize.sql of the series played. */
export function baseNeutralizeSql(series: Series = VERSION.series): string {
  return series === "16.0" ? BASE_NEUTRALIZE_SQL_16 : BASE_NEUTRALIZE_SQL_17;
}

/** base's data/neutralize.sql in Odoo 16. */
const BASE_NEUTRALIZE_SQL_16 = `-- deactivate mail servers
UPDATE ir_mail_server
   SET active = false;

-- insert dummy mail server to prevent using fallback servers specified using command line
INSERT INTO ir_mail_server(name, smtp_port, smtp_host, smtp_encryption, active, smtp_authentication)
VALUES ('neutralization - disable emails', 1025, 'invalid', 'none', true, 'login');

-- deactivate crons
UPDATE ir_cron
   SET active = false
 WHERE id NOT IN (
       SELECT res_id
         FROM ir_model_data
        WHERE model = 'ir.cron'
          AND name = 'autovacuum_job'
);

-- neutralization flag for the database
INSERT INTO ir_config_parameter (key, value)
VALUES ('database.is_neutralized', true)
    ON CONFLICT (key) DO
       UPDATE SET value = true;`;

/** base's data/neutralize.sql in Odoo 17 and 18: 16's, with the autovacuum job taken from base only, and webhooks disarmed. */
const BASE_NEUTRALIZE_SQL_17 = `${BASE_NEUTRALIZE_SQL_16.replace("AND name = 'autovacuum_job'", "AND name = 'autovacuum_job'\n          AND module = 'base'")}

-- webhooks of server actions point nowhere
UPDATE ir_act_server
   SET webhook_url = 'neutralization - disable webhook'
 WHERE state = 'webhook';`;

function asString(v: PyValue | undefined, dflt: string): string {
  return typeof v === "string" ? v : dflt;
}
function asStrings(v: PyValue | undefined): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
}

/** Reads a module directory's manifest; `undefined` when it is not a module. */
export function readModule(dir: string): OdooModule | undefined {
  const file = ["__manifest__.py", "__openerp__.py"].map((f) => path.join(dir, f)).find((f) => existsSync(f));
  if (!file) return undefined;
  const name = path.basename(dir);
  let m: Record<string, PyValue>;
  try {
    const v = parsePythonLiteral(readFileSync(file, "utf8"));
    m = v && typeof v === "object" && !Array.isArray(v) ? v : {};
  } catch {
    // Odoo logs and treats an unreadable manifest as no module
    return undefined;
  }
  let depends = asStrings(m.depends);
  if (depends.length === 0 && name !== "base") depends = ["base"];
  const ai = m.auto_install;
  return {
    name,
    dir,
    shortdesc: asString(m.name, name),
    version: asString(m.version, "1.0"),
    depends,
    autoInstall: ai === true ? depends : Array.isArray(ai) ? asStrings(ai) : null,
    installable: m.installable !== false,
    data: asStrings(m.data),
    application: m.application === true,
    author: asString(m.author, ""),
    license: asString(m.license, "LGPL-3"),
    summary: asString(m.summary, ""),
  };
}

/** All modules on the addons path, by name (first directory wins), plus the built-in base. */
export function discoverModules(addonsPaths: string[]): Map<string, OdooModule> {
  const found = new Map<string, OdooModule>([["base", BASE_MODULE]]);
  for (const p of addonsPaths) {
    let entries: string[];
    try {
      entries = readdirSync(p).sort();
    } catch {
      continue;
    }
    for (const e of entries) {
      if (found.has(e) && e !== "base") continue;
      const dir = path.join(p, e);
      try {
        if (!statSync(dir).isDirectory()) continue;
      } catch {
        continue;
      }
      const mod = readModule(dir);
      if (mod && (!found.has(e) || found.get(e) === BASE_MODULE)) found.set(e, mod);
    }
  }
  return found;
}

/** A Python syntax problem the double detects: an unbalanced bracket (the message is CPython 3.11's). */
export interface PySyntaxProblem {
  file: string;
  line: number;
  column: number;
  sourceLine: string;
  message: string;
}

/**
 * Checks brackets of one Python source, skipping strings and comments. Only bracket balance (and a colon right
 * after an opening parenthesis) is checked: those are the syntax errors of the real logs and the fixture modules.
 */
export function checkPythonBrackets(file: string, src: string): PySyntaxProblem | undefined {
  const stack: { ch: string; line: number; col: number }[] = [];
  const lines = src.split("\n");
  let line = 1;
  let col = 0;
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c === "\n") {
      line++;
      col = 0;
      continue;
    }
    col++;
    if (c === "#") {
      while (i + 1 < src.length && src[i + 1] !== "\n") i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const triple = src.slice(i, i + 3) === c.repeat(3);
      const end = triple ? c.repeat(3) : c;
      i += end.length;
      while (i < src.length && !src.startsWith(end, i)) {
        if (src[i] === "\\") i++;
        else if (src[i] === "\n") {
          line++;
          col = 0;
          if (!triple) break;
        }
        i++;
      }
      i += end.length - 1;
      continue;
    }
    if (c === "(") {
      // `def broken(:` (../shared/odoo17-lab): the parser stops at the colon before the bracket is ever closed.
      const rest = /^[ \t]*:/.exec(src.slice(i + 1));
      if (rest) return { file, line, column: col + rest[0].length, sourceLine: lines[line - 1] ?? "", message: "invalid syntax" };
    }
    if (c === "(" || c === "[" || c === "{") stack.push({ ch: c, line, col });
    else if (c in pairs) {
      const open = stack.pop();
      const at = { file, line, column: col, sourceLine: lines[line - 1] ?? "" };
      if (!open) return { ...at, message: `unmatched '${c}'` };
      if (open.ch !== pairs[c])
        return { ...at, message: `closing parenthesis '${c}' does not match opening parenthesis '${open.ch}'` };
    }
  }
  const open = stack[0];
  if (open) return { file, line: open.line, column: open.col, sourceLine: lines[open.line - 1] ?? "", message: `'${open.ch}' was never closed` };
  return undefined;
}

/** Python files of a module, in a stable order (the import order is approximated by path order). */
export function pythonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.isDirectory()) {
        if (e.name !== "tests" && e.name !== "static" && !e.name.startsWith(".")) walk(path.join(d, e.name));
      } else if (e.name.endsWith(".py") && e.name !== "__manifest__.py") out.push(path.join(d, e.name));
    }
  };
  walk(dir);
  return out;
}

/** A field declared in Python: `name = fields.Type(` inside a class with `_name`/`_inherit`. */
export interface PyModelFields {
  model: string;
  isNew: boolean;
  fields: { name: string; type: string }[];
}

/** Reads model classes and their declared fields from a module's Python files (regular-expression level). */
export function pythonModels(dir: string): PyModelFields[] {
  const out: PyModelFields[] = [];
  for (const f of pythonFiles(dir)) {
    const src = readFileSync(f, "utf8");
    for (const cls of src.split(/^class\s+/m).slice(1)) {
      const name = /^\s+_name\s*=\s*['"]([\w.]+)['"]/m.exec(cls)?.[1];
      const inherit = /^\s+_inherit\s*=\s*['"]([\w.]+)['"]/m.exec(cls)?.[1];
      const model = name ?? inherit;
      if (!model) continue;
      const fields = [...cls.matchAll(/^\s+(\w+)\s*=\s*fields\.(\w+)\(/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
      out.push({ model, isNew: !!name && name !== inherit, fields });
    }
  }
  return out;
}

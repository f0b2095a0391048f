import { OperationFailedError } from "../errors.js";

/** A value of the Python-literal subset manifests are written in. Tuples become arrays. */
export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** The manifest keys planning relies on, normalised (Odoo's defaults applied). */
export interface AddonManifest {
  name?: string;
  version?: string;
  depends: string[];
  /** Odoo's default is true. */
  installable: boolean;
  /** `true`: when all `depends` are installed; a list: when those modules are installed; `false`: never. */
  autoInstall: boolean | string[];
  /** Every key as written. */
  raw: Record<string, PyValue>;
}

/**
 * Thrown for a manifest that is not a Python literal dict of the supported subset, with `file:line:column`.
 * Exit 1: the repository is broken, not the command line.
 *
 * @example
 * try { parseManifest(text, file); } catch (e) { if (e instanceof ManifestSyntaxError) console.error(e.file, e.line, e.column); }
 */
export class ManifestSyntaxError extends OperationFailedError {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`${file}:${line}:${column}: ${reason}`, { code: "MANIFEST_SYNTAX", details: { file, line, column, reason } });
  }
}

type Tok =
  | { k: "str"; v: string; line: number; col: number }
  | { k: "num"; v: number; line: number; col: number }
  | { k: "name"; v: string; line: number; col: number }
  | { k: "punct"; v: string; line: number; col: number }
  | { k: "eof"; v: ""; line: number; col: number };

const SIMPLE_ESCAPES: Record<string, string> = {
  "\\": "\\",
  "'": "'",
  '"': '"',
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\n": "",
};

function tokenize(src: string, file: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const fail = (at: number, reason: string): never => {
    // Column of `at` on its own line (1-based), recomputed so multi-line tokens report where they start.
    const before = src.slice(0, at);
    const l = before.split("\n").length;
    const c = at - (before.lastIndexOf("\n") + 1) + 1;
    throw new ManifestSyntaxError(file, l, c, reason);
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (ch === "\n") {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\r" || ch === "\f" || ch === "\ufeff") {
      i++;
      continue;
    }
    if (ch === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (ch === "\\" && src[i + 1] === "\n") {
      i += 2;
      line++;
      lineStart = i;
      continue;
    }
    const col = i - lineStart + 1;
    const startLine = line;
    // String literal with optional prefix (r, u, b, R, U, B, and combinations such as rb / br).
    const prefix = /^([rRuUbB]{0,2})(['"])/.exec(src.slice(i, i + 3));
    if (prefix && /^(|r|u|b|rb|br)$/i.test(prefix[1]!)) {
      const p = prefix[1]!.toLowerCase();
      if (p.includes("f")) fail(i, "f-strings are not supported");
      const raw = p.includes("r");
      const start = i;
      i += prefix[1]!.length;
      const q = src[i]!;
      const triple = src.slice(i, i + 3) === q.repeat(3);
      const close = triple ? q.repeat(3) : q;
      i += close.length;
      let out = "";
      for (;;) {
        if (i >= src.length) fail(start, "unterminated string");
        const c = src[i]!;
        if (src.startsWith(close, i)) {
          i += close.length;
          break;
        }
        if (c === "\n") {
          if (!triple) fail(start, "unterminated string (newline in a single-quoted string)");
          line++;
          lineStart = i + 1;
          out += c;
          i++;
          continue;
        }
        if (c === "\\") {
          const n = src[i + 1];
          if (n === undefined) fail(start, "unterminated string");
          if (raw) {
            out += c + n;
            if (n === "\n") {
              line++;
              lineStart = i + 2;
            }
            i += 2;
            continue;
          }
          if (n! in SIMPLE_ESCAPES) {
            out += SIMPLE_ESCAPES[n!];
            if (n === "\n") {
              line++;
              lineStart = i + 2;
            }
            i += 2;
            continue;
          }
          const hex = n === "x" ? 2 : n === "u" ? 4 : n === "U" ? 8 : 0;
          if (hex) {
            const digits = src.slice(i + 2, i + 2 + hex);
            if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) fail(i, `bad \\${n} escape`);
            out += String.fromCodePoint(parseInt(digits, 16));
            i += 2 + hex;
            continue;
          }
          const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4));
          if (oct) {
            out += String.fromCodePoint(parseInt(oct[0], 8));
            i += 1 + oct[0].length;
            continue;
          }
          // Python keeps unknown escapes as written.
          out += c + n;
          i += 2;
          continue;
        }
        out += c;
        i++;
      }
      toks.push({ k: "str", v: out, line: startLine, col });
      continue;
    }
    const num = /^(?:0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num && num[0].length > 0 && /\d/.test(num[0])) {
      const text = num[0].replace(/_/g, "");
      const v = /^0[xob]/i.test(text) ? parseInt(text.slice(2), /^0x/i.test(text) ? 16 : /^0o/i.test(text) ? 8 : 2) : Number(text);
      if (Number.isNaN(v)) fail(i, `bad number ${num[0]}`);
      toks.push({ k: "num", v, line, col });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) {
      toks.push({ k: "name", v: name[0], line, col });
      i += name[0].length;
      continue;
    }
    // Any other character is a token the parser rejects where it stands, so errors come in source order.
    const cp = String.fromCodePoint(src.codePointAt(i)!);
    toks.push({ k: "punct", v: cp, line, col });
    i += cp.length;
  }
  toks.push({ k: "eof", v: "", line, col: i - lineStart + 1 });
  return toks;
}

/**
 * Parses the text of a `__manifest__.py` (or `__openerp__.py`) as a Python literal — dicts, lists, tuples,
 * strings (prefixes, escapes, triple quotes, implicit concatenation), numbers, True/False/None, comments,
 * trailing commas — without executing anything. Anything else is a {@link ManifestSyntaxError} with
 * file:line:column.
 *
 * @example parsePythonLiteral("{'name': 'A' 'B', 'depends': ('base',),}", "a/__manifest__.py") // { name: "AB", depends: ["base"] }
 */
export function parsePythonLiteral(source: string, file: string): PyValue {
  const toks = tokenize(source, file);
  let p = 0;
  const peek = () => toks[p]!;
  const fail = (t: Tok, reason: string): never => {
    throw new ManifestSyntaxError(file, t.line, t.col, reason);
  };
  const describe = (t: Tok) => (t.k === "eof" ? "end of file" : t.k === "str" ? "a string" : `'${String(t.v)}'`);
  const expect = (v: string) => {
    const t = peek();
    if (t.k !== "punct" || t.v !== v) fail(t, `expected '${v}', found ${describe(t)}`);
    p++;
  };
  const isPunct = (v: string) => {
    const t = peek();
    return t.k === "punct" && t.v === v;
  };

  const value = (): PyValue => {
    const t = peek();
    switch (t.k) {
      case "str": {
        let s = t.v;
        p++;
        // Implicit concatenation of adjacent literals.
        while (peek().k === "str") s += (toks[p++] as { v: string }).v;
        return s;
      }
      case "num":
        p++;
        return t.v;
      case "name":
        p++;
        if (t.v === "True") return true;
        if (t.v === "False") return false;
        if (t.v === "None") return null;
        return fail(t, `unsupported name '${t.v}' (only literals are allowed; nothing is executed)`);
      case "punct":
        if (t.v === "-" || t.v === "+") {
          p++;
          const n = peek();
          if (n.k !== "num") fail(n, `expected a number after '${t.v}'`);
          p++;
          return t.v === "-" ? -(n.v as number) : (n.v as number);
        }
        if (t.v === "{") return dict();
        if (t.v === "[") return seq("[", "]", false);
        if (t.v === "(") return seq("(", ")", true);
        return fail(t, `unexpected ${describe(t)}`);
      default:
        return fail(t, "unexpected end of file");
    }
  };

  const dict = (): PyValue => {
    const open = peek();
    expect("{");
    const out: Record<string, PyValue> = {};
    while (!isPunct("}")) {
      const kt = peek();
      const key = value();
      if (isPunct(",") || isPunct("}")) fail(peek(), "sets are not supported (expected ':' after a dict key)");
      if (typeof key !== "string" && typeof key !== "number") fail(kt, "dict keys must be strings or numbers");
      expect(":");
      out[String(key)] = value();
      if (!isPunct(",")) break;
      p++;
    }
    if (!isPunct("}")) fail(peek(), `expected ',' or '}' to continue the dict opened at line ${open.line}, found ${describe(peek())}`);
    p++;
    return out;
  };

  const seq = (openCh: string, closeCh: string, tuple: boolean): PyValue => {
    const open = peek();
    expect(openCh);
    const out: PyValue[] = [];
    let sawComma = false;
    while (!isPunct(closeCh)) {
      out.push(value());
      if (!isPunct(",")) break;
      sawComma = true;
      p++;
    }
    if (!isPunct(closeCh)) fail(peek(), `expected ',' or '${closeCh}' to continue the ${tuple ? "tuple" : "list"} opened at line ${open.line}, found ${describe(peek())}`);
    p++;
    // `(x)` is a parenthesised value, `(x,)` a tuple.
    if (tuple && out.length === 1 && !sawComma) return out[0]!;
    return out;
  };

  const result = value();
  if (peek().k !== "eof") fail(peek(), `unexpected ${describe(peek())} after the manifest's value`);
  return result;
}

/**
 * Parses a manifest file's text and normalises the keys planning needs (`depends`, `installable`,
 * `auto_install`, `version`), checking their types.
 *
 * @example const m = parseManifest(readFileSync("addons/x/__manifest__.py", "utf8"), "addons/x/__manifest__.py");
 */
export function parseManifest(source: string, file: string): AddonManifest {
  const value = parsePythonLiteral(source, file);
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new ManifestSyntaxError(file, 1, 1, "a manifest must be a dict");
  }
  const bad = (key: string, expected: string): never => {
    throw new OperationFailedError(`${file}: '${key}' must be ${expected}`, { code: "MANIFEST_INVALID", details: { file, key } });
  };
  const strList = (key: string): string[] => {
    const v = value[key];
    if (v === undefined) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === "string")) return bad(key, "a list of module names");
    return v as string[];
  };
  const depends = strList("depends");
  const installable = value.installable === undefined ? true : value.installable;
  if (typeof installable !== "boolean") bad("installable", "True or False");
  const ai = value.auto_install;
  let autoInstall: boolean | string[] = false;
  if (ai === undefined || ai === null || ai === false) autoInstall = false;
  else if (ai === true) autoInstall = true;
  else if (Array.isArray(ai)) autoInstall = strList("auto_install");
  else bad("auto_install", "True, False or a list of module names");
  const version = value.version;
  if (version !== undefined && typeof version !== "string" && typeof version !== "number") bad("version", "a string");
  const name = value.name;
  return {
    ...(typeof name === "string" ? { name } : {}),
    ...(version !== undefined ? { version: String(version) } : {}),
    depends,
    installable: installable as boolean,
    autoInstall,
    raw: value,
  };
}

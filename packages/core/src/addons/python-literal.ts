import { ManifestSyntaxError } from "./manifest-error.js";

/**
 * A Python value as `ast.literal_eval` returns it (CPython 3.11, what Odoo 16–18 run on), kept exact: ints of any
 * size, floats, complex numbers, bytes, `...`, and the four containers apart. Strings, booleans and None are
 * themselves.
 */
export type PyLiteral =
  | string
  | boolean
  | null
  | { kind: "int"; value: bigint }
  | { kind: "float"; value: number }
  | { kind: "complex"; real: number; imag: number }
  | { kind: "bytes"; value: Uint8Array }
  | { kind: "ellipsis" }
  | { kind: "list" | "tuple" | "set"; items: PyLiteral[] }
  | { kind: "dict"; entries: [PyLiteral, PyLiteral][] };

/** The numbers among literals. */
type PyNumber = Extract<PyLiteral, { kind: "int" | "float" | "complex" }>;

/** Python's tokenizer refuses deeper bracket nesting ("too many nested parentheses"). */
export const MAX_NESTING = 200;
/** CPython 3.11 refuses decimal int literals longer than this (`sys.int_info.default_max_str_digits`). */
const MAX_INT_DIGITS = 4300;

type Tok =
  | { k: "name"; v: string; line: number; col: number }
  | { k: "number"; v: PyLiteral; line: number; col: number }
  | { k: "string"; v: string; bytes: boolean; line: number; col: number }
  | { k: "op"; v: string; line: number; col: number }
  | { k: "newline" | "eof"; v: ""; line: number; col: number };

const SIMPLE_ESCAPES: Record<string, string> = { "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };
const STRING_PREFIXES = new Set(["", "r", "u", "b", "br", "rb", "f", "fr", "rf"]);
// Python identifiers: a letter or underscore, then letters, digits, marks and connectors (PEP 3131, close enough:
// a name is an error in a literal whatever it is, this only decides where it ends).
const ID_START = /[\p{L}\p{Nl}_]/u;
const ID_CONTINUE = /[\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]/u;

/**
 * Splits the text into Python tokens as CPython's tokenizer does in eval mode: NEWLINE only at bracket depth 0
 * (blank and comment lines give none), backslash continuations, indentation refused, every string form.
 */
function tokenize(src: string, file: string, firstLineOffset: number): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  let line = 1;
  // The first line's columns count what literal_eval stripped before it.
  let lineStart = -firstLineOffset;
  let depth = 0;
  const opens: { ch: string; line: number; col: number }[] = [];
  let atLineStart = true;
  const col = (at: number) => at - lineStart + 1;
  const fail = (at: number, reason: string): never => {
    const before = src.slice(0, at);
    const l = before.split("\n").length;
    throw new ManifestSyntaxError(file, l, at - (before.lastIndexOf("\n") + 1) + 1 + (l === 1 ? firstLineOffset : 0), reason);
  };
  const newline = () => {
    i++;
    line++;
    lineStart = i;
  };
  while (i < src.length) {
    if (atLineStart && depth === 0) {
      // Indentation of a new logical line: Python counts it (tab to the next multiple of 8, form feed resets).
      let indent = 0;
      let j = i;
      for (; j < src.length; j++) {
        const c = src[j];
        if (c === " ") indent++;
        else if (c === "\t") indent = (Math.floor(indent / 8) + 1) * 8;
        else if (c === "\f") indent = 0;
        else break;
      }
      const next = src[j];
      const blank = next === "#" || next === "\n" || (next === undefined && indent === 0);
      if (!blank && indent > 0) fail(j, "unexpected indent (Python refuses an indented line here)");
      i = j;
      atLineStart = false;
      if (next === undefined) break;
    }
    const ch = src[i]!;
    if (ch === "\n") {
      if (depth === 0 && toks.length > 0 && toks[toks.length - 1]!.k !== "newline") toks.push({ k: "newline", v: "", line, col: col(i) });
      newline();
      atLineStart = true;
      continue;
    }
    if (ch === " " || ch === "\t" || ch === "\f") {
      i++;
      continue;
    }
    if (ch === "#") {
      while (i < src.length && src[i] !== "\n") i++;
      continue;
    }
    if (ch === "\\") {
      if (src[i + 1] !== "\n") fail(i, "unexpected character after a line continuation backslash");
      // A continuation must be followed by more of the line: at the end of the text Python finds nothing.
      if (i + 2 >= src.length) fail(i, "unexpected end of file after a line continuation backslash");
      i++;
      newline();
      continue;
    }
    if (ch === "\0") fail(i, "the text holds a null byte");
    const start = i;
    const startCol = col(i);
    if (ID_START.test(ch)) {
      let j = i + 1;
      while (j < src.length && ID_CONTINUE.test(src[j]!)) j++;
      const word = src.slice(i, j);
      const q = src[j];
      if ((q === "'" || q === '"') && STRING_PREFIXES.has(word.toLowerCase())) {
        i = j;
        const s = readString(word.toLowerCase(), start);
        toks.push({ k: "string", v: s.value, bytes: s.bytes, line: s.line, col: startCol });
        continue;
      }
      toks.push({ k: "name", v: word, line, col: startCol });
      i = j;
      continue;
    }
    if (ch === "'" || ch === '"') {
      const s = readString("", start);
      toks.push({ k: "string", v: s.value, bytes: s.bytes, line: s.line, col: startCol });
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === "." && /[0-9]/.test(src[i + 1] ?? ""))) {
      toks.push({ k: "number", v: readNumber(), line, col: startCol });
      continue;
    }
    if (src.startsWith("...", i)) {
      toks.push({ k: "op", v: "...", line, col: startCol });
      i += 3;
      continue;
    }
    if ("([{".includes(ch)) {
      if (depth >= MAX_NESTING) fail(i, `brackets nested more than ${MAX_NESTING} deep (Python refuses: too many nested parentheses)`);
      depth++;
      opens.push({ ch, line, col: startCol });
    } else if (")]}".includes(ch)) {
      const open = opens.pop();
      if (!open) fail(i, `unmatched '${ch}'`);
      if ({ ")": "(", "]": "[", "}": "{" }[ch] !== open!.ch) fail(i, `'${ch}' does not close the '${open!.ch}' opened at line ${open!.line}`);
      depth--;
    } else if (!",:+-".includes(ch)) {
      // Every other character is an operator no literal uses, or not Python at all: the parser refuses it where
      // it stands, so errors come in source order (`open(x).read()` is refused at the name, not at the dot).
      const cp = String.fromCodePoint(src.codePointAt(i)!);
      toks.push({ k: "op", v: cp, line, col: startCol });
      i += cp.length;
      continue;
    }
    toks.push({ k: "op", v: ch, line, col: startCol });
    i++;
  }
  if (opens.length > 0) {
    const o = opens[opens.length - 1]!;
    throw new ManifestSyntaxError(file, o.line, o.col, `'${o.ch}' was never closed`);
  }
  if (toks.length > 0 && toks[toks.length - 1]!.k !== "newline") toks.push({ k: "newline", v: "", line, col: col(i) });
  toks.push({ k: "eof", v: "", line, col: col(i) });
  return toks;

  function readString(prefix: string, start: number): { value: string; bytes: boolean; line: number } {
    const startLine = line;
    if (prefix.includes("f")) fail(start, "f-strings are not literals (Odoo's ast.literal_eval refuses them)");
    const raw = prefix.includes("r");
    const bytes = prefix.includes("b");
    const q = src[i]!;
    const triple = src.startsWith(q.repeat(3), i);
    const close = triple ? q.repeat(3) : q;
    i += close.length;
    let out = "";
    for (;;) {
      if (i >= src.length) fail(start, triple ? "unterminated triple-quoted string" : "unterminated string");
      if (src.startsWith(close, i)) {
        i += close.length;
        break;
      }
      const c = src[i]!;
      if (c === "\n") {
        if (!triple) fail(start, "unterminated string (newline in a single-quoted string)");
        out += c;
        newline();
        continue;
      }
      if (bytes && c.charCodeAt(0) > 0x7f) fail(i, "bytes literals can only hold ASCII characters");
      if (c !== "\\") {
        out += c;
        i++;
        continue;
      }
      const n = src[i + 1];
      if (n === undefined) fail(start, "unterminated string");
      if (n === "\n") {
        // A backslash before the line end joins the lines; a raw string keeps both.
        if (raw) out += "\\\n";
        i++;
        newline();
        continue;
      }
      if (raw) {
        // In a raw string a backslash still keeps the next quote from ending it.
        out += c + n;
        i += 2;
        continue;
      }
      if (n! in SIMPLE_ESCAPES) {
        out += SIMPLE_ESCAPES[n!];
        i += 2;
        continue;
      }
      const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4));
      if (oct) {
        const v = parseInt(oct[0], 8);
        out += String.fromCharCode(bytes ? v & 0xff : v);
        i += 1 + oct[0].length;
        continue;
      }
      const hex = n === "x" ? 2 : !bytes && n === "u" ? 4 : !bytes && n === "U" ? 8 : 0;
      if (hex) {
        const digits = src.slice(i + 2, i + 2 + hex);
        if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) fail(i, `truncated \\${n} escape (${hex} hex digits expected)`);
        const v = parseInt(digits, 16);
        if (v > 0x10ffff) fail(i, `\\${n}${digits} is past the last Unicode character`);
        out += v <= 0xffff ? String.fromCharCode(v) : String.fromCodePoint(v);
        i += 2 + hex;
        continue;
      }
      if (!bytes && n === "N") {
        fail(i, "\\N{...} escapes name characters from Unicode's database, which odoo-deploy does not carry: write the character itself or a \\u escape");
      }
      // Python keeps unknown escapes as written.
      out += c;
      i++;
    }
    return { value: out, bytes, line: startLine };
  }

  function readNumber(): PyLiteral {
    const start = i;
    const rest = src.slice(i);
    const end = (len: number) => {
      i += len;
      const next = src[i];
      if (next !== undefined && (ID_CONTINUE.test(next) || next === ".")) {
        fail(start, `invalid number literal ${JSON.stringify(src.slice(start, i + 1))}`);
      }
    };
    const based = /^0([xXoObB])/.exec(rest);
    if (based) {
      const base = { x: 16, o: 8, b: 2 }[based[1]!.toLowerCase() as "x" | "o" | "b"];
      const digit = base === 16 ? "[0-9a-fA-F]" : base === 8 ? "[0-7]" : "[01]";
      const m = new RegExp(`^0[xXoObB](?:_?${digit})+`).exec(rest);
      if (!m) fail(start, `invalid ${base === 16 ? "hexadecimal" : base === 8 ? "octal" : "binary"} literal`);
      end(m![0].length);
      const digits = m![0].slice(2).replace(/_/g, "");
      return { kind: "int", value: BigInt(`0${based[1]!.toLowerCase()}${digits}`) };
    }
    // What stops this pattern early (an exponent without digits, a lone underscore) is refused by end().
    const text = /^(?:\d(?:_?\d)*)?(?:\.(?:\d(?:_?\d)*)?)?(?:[eE][+-]?\d(?:_?\d)*)?[jJ]?/.exec(rest)![0];
    end(text.length);
    const clean = text.replace(/_/g, "");
    if (/[jJ]$/.test(clean)) return { kind: "complex", real: 0, imag: Number(clean.slice(0, -1)) };
    if (/[.eE]/.test(clean)) return { kind: "float", value: Number(clean) };
    if (/^0+[1-9]/.test(clean)) fail(start, "leading zeros in a decimal integer (Python refuses them; write 0o for octal)");
    if (clean.length > MAX_INT_DIGITS) fail(start, `an integer of ${clean.length} digits (Python refuses more than ${MAX_INT_DIGITS})`);
    return { kind: "int", value: BigInt(clean) };
  }
}

type Node =
  | { t: "const"; v: PyLiteral; tok: Tok }
  | { t: "unary"; op: "+" | "-"; operand: Node; tok: Tok }
  | { t: "bin"; op: "+" | "-"; left: Node; right: Node; tok: Tok }
  | { t: "list" | "tuple" | "set"; items: Node[]; tok: Tok }
  | { t: "dict"; entries: [Node, Node][]; tok: Tok };

/**
 * Reads the text of a Python literal exactly as `ast.literal_eval` (CPython 3.11) does: every container (dict,
 * list, tuple, set, `set()`), every string form (prefixes r/u/b and their mixes, triple quotes, escapes,
 * implicit concatenation, line continuations), ints of any base and size, floats, complex numbers (`1+2j`), unary
 * signs, True/False/None and `...`, comments and any layout Python accepts — and refuses what it refuses (names,
 * calls, operations, f-strings, unhashable set members and dict keys, brackets nested deeper than
 * {@link MAX_NESTING}), with file:line:column. Nothing is executed.
 *
 * @example readPythonLiteral("{'depends': {'base', 'mail'}}", "m/__manifest__.py") // { kind: "dict", entries: [["depends", { kind: "set", items: ["base", "mail"] }]] }
 */
export function readPythonLiteral(source: string, file: string): PyLiteral {
  // Python's tokenizer reads \r\n and \r as line ends; literal_eval strips leading spaces and tabs.
  const text = source.replace(/\r\n?/g, "\n");
  // Python's parser encodes the text to UTF-8 first, which a lone surrogate cannot be.
  const lone = /\p{Cs}/u.exec(text);
  if (lone) throw new ManifestSyntaxError(file, text.slice(0, lone.index).split("\n").length, 1, "the text holds a lone surrogate code unit: it is not Unicode text");
  const offset = text.length - text.replace(/^[ \t]+/, "").length;
  const toks = tokenize(text.slice(offset), file, offset);
  let p = 0;
  const peek = () => toks[p]!;
  const fail = (t: Tok, reason: string): never => {
    throw new ManifestSyntaxError(file, t.line, t.col, reason);
  };
  const describe = (t: Tok) => {
    if (t.k === "eof") return "end of file";
    if (t.k === "newline") return "end of line";
    if (t.k === "string") return "a string";
    if (t.k === "number") return "a number";
    return /^[\p{L}\p{N}\p{P}\p{S}]/u.test(t.v) ? `'${t.v}'` : `U+${t.v.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
  };
  const isOp = (v: string) => {
    const t = peek();
    return t.k === "op" && t.v === v;
  };

  const atom = (): Node => {
    const t = peek();
    switch (t.k) {
      case "number":
        p++;
        return { t: "const", v: t.v, tok: t };
      case "string": {
        let s = t.v;
        p++;
        // Adjacent literals are one: str with str, bytes with bytes.
        for (let n = peek(); n.k === "string"; n = peek()) {
          if (n.bytes !== t.bytes) fail(n, "bytes and str literals cannot be concatenated");
          s += n.v;
          p++;
        }
        return { t: "const", v: t.bytes ? { kind: "bytes", value: Uint8Array.from(s, (c) => c.charCodeAt(0)) } : s, tok: t };
      }
      case "name": {
        p++;
        if (t.v === "True") return { t: "const", v: true, tok: t };
        if (t.v === "False") return { t: "const", v: false, tok: t };
        if (t.v === "None") return { t: "const", v: null, tok: t };
        if (t.v === "set" && isOp("(") && toks[p + 1]?.k === "op" && toks[p + 1]!.v === ")") {
          p += 2;
          return { t: "set", items: [], tok: t };
        }
        return fail(t, `'${t.v}' is a name: only literals are allowed (nothing is executed)`);
      }
      case "op":
        if (t.v === "...") {
          p++;
          return { t: "const", v: { kind: "ellipsis" }, tok: t };
        }
        if (t.v === "(") return parenthesized();
        if (t.v === "[") return sequence("[", "]", "list");
        if (t.v === "{") return braces();
        return fail(t, `unexpected ${describe(t)}`);
      default:
        return fail(t, `unexpected ${describe(t)}`);
    }
  };
  const primary = (): Node => {
    const a = atom();
    const t = peek();
    // Calls, subscripts and attributes: what follows an atom in Python, never a literal.
    if (t.k === "op" && (t.v === "(" || t.v === "[")) fail(t, `a call or subscript: only literals are allowed (nothing is executed)`);
    return a;
  };
  const unary = (): Node => {
    const t = peek();
    if (t.k === "op" && (t.v === "-" || t.v === "+")) {
      p++;
      return { t: "unary", op: t.v, operand: unary(), tok: t };
    }
    return primary();
  };
  const expression = (): Node => {
    let left = unary();
    for (let t = peek(); t.k === "op" && (t.v === "+" || t.v === "-"); t = peek()) {
      p++;
      left = { t: "bin", op: t.v as "+" | "-", left, right: unary(), tok: t };
    }
    return left;
  };
  /** Comma-separated expressions up to `close`, a trailing comma allowed; whether a comma was seen. */
  const items = (close: string, what: string, open: Tok): { items: Node[]; comma: boolean } => {
    const out: Node[] = [];
    let comma = false;
    while (!isOp(close)) {
      out.push(expression());
      if (!isOp(",")) break;
      comma = true;
      p++;
    }
    if (!isOp(close)) fail(peek(), `expected ',' or '${close}' to continue the ${what} opened at line ${open.line}, found ${describe(peek())}`);
    p++;
    return { items: out, comma };
  };
  const parenthesized = (): Node => {
    const open = peek();
    p++;
    const r = items(")", "tuple", open);
    // `(x)` is x itself, `(x,)` and `()` tuples.
    if (r.items.length === 1 && !r.comma) return r.items[0]!;
    return { t: "tuple", items: r.items, tok: open };
  };
  const sequence = (openCh: string, close: string, kind: "list" | "set"): Node => {
    const open = peek();
    p++;
    return { t: kind, items: items(close, kind, open).items, tok: open };
  };
  const braces = (): Node => {
    const open = peek();
    p++;
    if (isOp("}")) {
      p++;
      return { t: "dict", entries: [], tok: open };
    }
    const first = expression();
    if (!isOp(":")) {
      // A set: the first member is read, the rest like a list's.
      if (isOp("}")) {
        p++;
        return { t: "set", items: [first], tok: open };
      }
      if (!isOp(",")) fail(peek(), `expected ',' or '}' to continue the set opened at line ${open.line}, found ${describe(peek())}`);
      p++;
      return { t: "set", items: [first, ...items("}", "set", open).items], tok: open };
    }
    const entries: [Node, Node][] = [];
    let key: Node | undefined = first;
    for (;;) {
      if (!isOp(":")) fail(peek(), `expected ':' after a key of the dict opened at line ${open.line}, found ${describe(peek())}`);
      p++;
      entries.push([key!, expression()]);
      if (!isOp(",")) break;
      p++;
      if (isOp("}")) break;
      key = expression();
    }
    if (!isOp("}")) fail(peek(), `expected ',' or '}' to continue the dict opened at line ${open.line}, found ${describe(peek())}`);
    p++;
    return { t: "dict", entries, tok: open };
  };

  const first = peek();
  if (first.k === "eof") fail(first, "empty: a literal was expected");
  let top = expression();
  if (isOp(",")) {
    // A bare tuple: `1, 2` (only at the top, as in Python).
    const members = [top];
    while (isOp(",")) {
      p++;
      if (peek().k === "newline") break;
      members.push(expression());
    }
    top = { t: "tuple", items: members, tok: first };
  }
  if (peek().k !== "newline") fail(peek(), `unexpected ${describe(peek())} after the value`);
  p++;
  if (peek().k !== "eof") fail(peek(), `unexpected ${describe(peek())} after the value`);
  return convert(top, file);
}

/** `ast.literal_eval`'s conversion of the parsed expression: which operations on numbers it allows, hashability. */
function convert(n: Node, file: string): PyLiteral {
  const fail = (at: Node, reason: string): never => {
    throw new ManifestSyntaxError(file, at.tok.line, at.tok.col, reason);
  };
  const number = (x: Node): PyNumber => {
    if (x.t === "const" && typeof x.v === "object" && x.v !== null && (x.v.kind === "int" || x.v.kind === "float" || x.v.kind === "complex")) return x.v as PyNumber;
    return fail(x, "only a number may follow a sign (and only a complex number such as 1+2j may be written with + or -)");
  };
  const signed = (x: Node): PyNumber => {
    if (x.t !== "unary") return number(x);
    const v = number(x.operand);
    if (x.op === "+") return v;
    return v.kind === "int" ? { kind: "int", value: -v.value } : v.kind === "float" ? { kind: "float", value: -v.value } : { kind: "complex", real: -v.real, imag: -v.imag };
  };
  switch (n.t) {
    case "const":
      return n.v;
    case "list":
    case "tuple":
      return { kind: n.t, items: n.items.map((x) => convert(x, file)) };
    case "set": {
      const out: PyLiteral[] = [];
      for (const x of n.items) {
        const v = convert(x, file);
        hashable(v, x);
        if (!out.some((o) => pyEquals(o, v))) out.push(v);
      }
      return { kind: "set", items: out };
    }
    case "dict": {
      const out: [PyLiteral, PyLiteral][] = [];
      for (const [k, x] of n.entries) {
        const key = convert(k, file);
        hashable(key, k);
        const value = convert(x, file);
        // An equal key keeps its first form and takes the last value, as dict() does.
        const at = out.find((e) => pyEquals(e[0], key));
        if (at) at[1] = value;
        else out.push([key, value]);
      }
      return { kind: "dict", entries: out };
    }
    case "bin": {
      const isNumber = (x: Node) => x.t === "const" && typeof x.v === "object" && x.v !== null && (x.v.kind === "int" || x.v.kind === "float" || x.v.kind === "complex");
      if (!isNumber(n.left) && n.left.t !== "unary") fail(n, "an operation: only a complex number such as 1+2j may be written with + or -");
      const left = signed(n.left);
      const right = number(n.right);
      if (left.kind === "complex" || right.kind !== "complex") {
        return fail(n, "an operation: only a complex number such as 1+2j may be written with + or -");
      }
      const l = left.kind === "int" ? Number(left.value) : left.value;
      if (!Number.isFinite(l) && left.kind === "int") fail(n.left, "an integer too large to add to a complex number");
      return n.op === "+" ? { kind: "complex", real: l + right.real, imag: 0 + right.imag } : { kind: "complex", real: l - right.real, imag: 0 - right.imag };
    }
    case "unary":
      return signed(n);
  }
  function hashable(v: PyLiteral, at: Node): void {
    if (v === null || typeof v !== "object") return;
    if (v.kind === "list" || v.kind === "dict" || v.kind === "set") fail(at, `a ${v.kind} cannot be a set member or a dict key (unhashable)`);
    if (v.kind === "tuple") for (const x of v.items) hashable(x, at);
  }
}

/** Python's `==` between literals (as dict keys and set members meet it): 1 == 1.0 == True == (1+0j). */
export function pyEquals(a: PyLiteral, b: PyLiteral): boolean {
  const num = (x: PyLiteral): { re: number | bigint; im: number } | undefined => {
    if (typeof x === "boolean") return { re: x ? 1n : 0n, im: 0 };
    if (x === null || typeof x !== "object") return undefined;
    if (x.kind === "int") return { re: x.value, im: 0 };
    if (x.kind === "float") return { re: x.value, im: 0 };
    if (x.kind === "complex") return { re: x.real, im: x.imag };
    return undefined;
  };
  const na = num(a);
  const nb = num(b);
  if (na || nb) return !!na && !!nb && na.im === nb.im && realEquals(na.re, nb.re);
  if (typeof a === "string" || typeof b === "string" || a === null || b === null) return a === b;
  if (typeof a !== "object" || typeof b !== "object" || a.kind !== b.kind) return false;
  if (a.kind === "bytes" && b.kind === "bytes") return a.value.length === b.value.length && a.value.every((x, i) => x === b.value[i]);
  if (a.kind === "ellipsis") return true;
  if ((a.kind === "tuple" || a.kind === "list") && (b.kind === "tuple" || b.kind === "list")) {
    return a.items.length === b.items.length && a.items.every((x, i) => pyEquals(x, b.items[i]!));
  }
  return false;
}

/** An int and a float are equal only when the float is that integer exactly (Python compares them exactly). */
function realEquals(a: number | bigint, b: number | bigint): boolean {
  if (typeof a === "bigint" && typeof b === "bigint") return a === b;
  if (typeof a === "number" && typeof b === "number") return a === b;
  const [big, n] = typeof a === "bigint" ? [a, b as number] : [b as bigint, a as number];
  return Number.isInteger(n) && BigInt(n) === big;
}

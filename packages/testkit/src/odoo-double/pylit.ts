/**
 * A parser for the Python literals found in `__manifest__.py` files: dicts, lists, tuples, strings (single,
 * double, triple-quoted, adjacent literals concatenated), numbers, True/False/None and comments. Anything else
 * (names, calls) is an error, as `ast.literal_eval` (what Odoo uses) would reject it.
 */

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

/** Parses one Python literal. @example parsePythonLiteral("{'name': 'X', 'depends': ['base']}") */
export function parsePythonLiteral(src: string): PyValue {
  let i = 0;
  const fail = (msg: string): never => {
    throw new SyntaxError(`${msg} at offset ${i}`);
  };
  const skip = () => {
    for (;;) {
      while (i < src.length && /\s/.test(src[i]!)) i++;
      if (src[i] === "#") {
        while (i < src.length && src[i] !== "\n") i++;
        continue;
      }
      if (src[i] === "\\" && src[i + 1] === "\n") {
        i += 2;
        continue;
      }
      return;
    }
  };
  const str = (): string => {
    let out = "";
    // adjacent string literals are concatenated, as in Python
    while (/^[rRuUbB]?['"]/.test(src.slice(i, i + 2))) {
      let raw = false;
      if (/[rRuUbB]/.test(src[i]!)) {
        raw = /[rR]/.test(src[i]!);
        i++;
      }
      const q = src[i]!;
      const triple = src.slice(i, i + 3) === q.repeat(3);
      const end = triple ? q.repeat(3) : q;
      i += end.length;
      for (;;) {
        if (i >= src.length) fail("unterminated string");
        if (src.startsWith(end, i)) {
          i += end.length;
          break;
        }
        const c = src[i]!;
        if (!triple && c === "\n") fail("newline in string");
        if (c === "\\" && !raw) {
          const n = src[i + 1] ?? "";
          const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', "\n": "", "0": "\0" };
          out += map[n] ?? `\\${n}`;
          i += 2;
          continue;
        }
        out += c;
        i++;
      }
      skip();
    }
    return out;
  };
  const value = (): PyValue => {
    skip();
    const c = src[i];
    if (c === undefined) return fail("unexpected end");
    if (c === "{") {
      i++;
      const obj: Record<string, PyValue> = {};
      for (;;) {
        skip();
        if (src[i] === "}") {
          i++;
          return obj;
        }
        const k = value();
        skip();
        if (src[i] !== ":") fail("expected ':'");
        i++;
        obj[String(k)] = value();
        skip();
        if (src[i] === ",") i++;
        else if (src[i] !== "}") fail("expected ',' or '}'");
      }
    }
    if (c === "[" || c === "(") {
      const close = c === "[" ? "]" : ")";
      i++;
      const arr: PyValue[] = [];
      for (;;) {
        skip();
        if (src[i] === close) {
          i++;
          return arr;
        }
        arr.push(value());
        skip();
        if (src[i] === ",") i++;
        else if (src[i] !== close) fail(`expected ',' or '${close}'`);
      }
    }
    if (/^[rRuUbB]?['"]/.test(src.slice(i, i + 2))) return str();
    const m = /^(True|False|None|-?\d+(\.\d+)?([eE][+-]?\d+)?)/.exec(src.slice(i));
    if (!m) return fail("unsupported expression");
    i += m[0].length;
    if (m[0] === "True") return true;
    if (m[0] === "False") return false;
    if (m[0] === "None") return null;
    return Number(m[0]);
  };
  const v = value();
  skip();
  if (i < src.length) fail("trailing characters");
  return v;
}

/**
 * A parser for the Python literals found in `__manifest__.py` files of Odoo 16–18: dicts, lists, tuples, sets
 * (and `set()`), strings (every prefix, single, double, triple-quoted, escapes, adjacent literals concatenated),
 * numbers (underscores, hex/octal/binary, floats, signs; complex numbers as their text), True/False/None, `...`
 * and comments. Anything else (names, calls, operations) is an error, as `ast.literal_eval` (what Odoo uses)
 * would reject it. Tuples and sets become arrays.
 */

export type PyValue = string | number | boolean | null | PyValue[] | { [key: string]: PyValue };

const ESCAPES: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", v: "\v" };

/** Parses one Python literal. @example parsePythonLiteral("{'name': 'X', 'depends': {'base', 'mail'}}") */
export function parsePythonLiteral(src: string): PyValue {
  let i = 0;
  const fail = (msg: string): never => {
    throw new SyntaxError(`${msg} at offset ${i}`);
  };
  const skip = () => {
    for (;;) {
      while (i < src.length && /[ \t\n\r\f]/.test(src[i]!)) i++;
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
  const STRING = /^(?:[rRuUbB]|[bB][rR]|[rR][bB])?['"]/;
  const str = (): string => {
    let out = "";
    // adjacent string literals are concatenated, as in Python
    while (STRING.test(src.slice(i, i + 3))) {
      const prefix = /^[rRuUbB]*/.exec(src.slice(i))![0].toLowerCase();
      const raw = prefix.includes("r");
      const bytes = prefix.includes("b");
      i += prefix.length;
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
        if (c !== "\\") {
          out += c;
          i++;
          continue;
        }
        const n = src[i + 1] ?? "";
        if (raw) {
          out += c + n;
          i += 2;
          continue;
        }
        const hex = n === "x" ? 2 : !bytes && n === "u" ? 4 : !bytes && n === "U" ? 8 : 0;
        const oct = /^[0-7]{1,3}/.exec(src.slice(i + 1, i + 4))?.[0];
        if (n === "\n") i += 2;
        else if (n in ESCAPES) {
          out += ESCAPES[n];
          i += 2;
        } else if (oct) {
          out += String.fromCharCode(parseInt(oct, 8) & (bytes ? 0xff : 0x1ff));
          i += 1 + oct.length;
        } else if (hex) {
          const digits = src.slice(i + 2, i + 2 + hex);
          if (!new RegExp(`^[0-9a-fA-F]{${hex}}$`).test(digits)) fail(`bad \\${n} escape`);
          out += String.fromCodePoint(parseInt(digits, 16));
          i += 2 + hex;
        } else {
          out += c + n;
          i += 2;
        }
      }
      skip();
    }
    return out;
  };
  /** Comma-separated values up to `close`; whether a comma was seen. */
  const items = (close: string): { out: PyValue[]; comma: boolean } => {
    const out: PyValue[] = [];
    let comma = false;
    for (;;) {
      skip();
      if (src[i] === close) {
        i++;
        return { out, comma };
      }
      out.push(value());
      skip();
      if (src[i] === ",") {
        comma = true;
        i++;
      } else if (src[i] !== close) fail(`expected ',' or '${close}'`);
    }
  };
  const value = (): PyValue => {
    skip();
    const c = src[i];
    if (c === undefined) return fail("unexpected end");
    if (c === "{") {
      i++;
      skip();
      if (src[i] === "}") {
        i++;
        return {};
      }
      const first = value();
      skip();
      if (src[i] !== ":") {
        // a set: {'a', 'b'}
        if (src[i] === ",") i++;
        else if (src[i] !== "}") fail("expected ',' or '}'");
        return [first, ...items("}").out];
      }
      const obj: Record<string, PyValue> = {};
      let key: PyValue = first;
      for (;;) {
        skip();
        if (src[i] !== ":") fail("expected ':'");
        i++;
        obj[String(key)] = value();
        skip();
        if (src[i] === ",") i++;
        else if (src[i] !== "}") fail("expected ',' or '}'");
        skip();
        if (src[i] === "}") {
          i++;
          return obj;
        }
        key = value();
      }
    }
    if (c === "[") {
      i++;
      return items("]").out;
    }
    if (c === "(") {
      i++;
      const { out, comma } = items(")");
      // `(x)` is x, `(x,)` a tuple
      return out.length === 1 && !comma ? out[0]! : out;
    }
    if (STRING.test(src.slice(i, i + 3))) return str();
    if (src.startsWith("set()", i)) {
      i += 5;
      return [];
    }
    if (src.startsWith("...", i)) {
      i += 3;
      return "...";
    }
    const m = /^(True|False|None)\b|^([+-]?\s*)(0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*)?\.?[\d_]*(?:[eE][+-]?\d+)?)([jJ]?)(\s*[+-]\s*[\d_.eE]+[jJ])?/.exec(src.slice(i));
    if (!m || (!m[1] && !/\d/.test(m[3] ?? ""))) return fail("unsupported expression");
    i += m[0].length;
    if (m[1] === "True") return true;
    if (m[1] === "False") return false;
    if (m[1] === "None") return null;
    if (m[4] || m[5]) return m[0].replace(/\s+/g, "");
    const text = m[3]!.replace(/_/g, "");
    const n = /^0[xob]/i.test(text) ? Number(text.toLowerCase()) : Number(text);
    return m[2]!.includes("-") ? -n : n;
  };
  const v = value();
  skip();
  if (i < src.length) fail("trailing characters");
  return v;
}

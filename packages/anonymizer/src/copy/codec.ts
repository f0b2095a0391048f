/**
 * PostgreSQL COPY text format: rows end with `\n`, fields are separated by `\t`, NULL is `\N`, and
 * backslash escapes (`\\ \n \r \t \b \f \v`, octal `\123`, hex `\x4F`) encode the rest. Raw tab and newline
 * bytes never occur inside a field, so rows and fields are found on bytes without decoding anything.
 */

const BS = 0x5c;

/**
 * Decodes one field (bytes `start..end` of `buf`): `null` for `\N`, else the unescaped UTF-8 text.
 *
 * @example decodeField(Buffer.from("a\\tb"), 0, 4) // "a\tb"
 */
export function decodeField(buf: Buffer, start: number, end: number): string | null {
  if (end - start === 2 && buf[start] === BS && buf[start + 1] === 0x4e) return null;
  let i = start;
  while (i < end && buf[i] !== BS) i++;
  if (i === end) return buf.toString("utf8", start, end);
  const out = Buffer.allocUnsafe(end - start);
  let n = buf.copy(out, 0, start, i);
  while (i < end) {
    const b = buf[i]!;
    if (b !== BS || i + 1 >= end) {
      out[n++] = b;
      i++;
      continue;
    }
    const c = buf[i + 1]!;
    i += 2;
    switch (c) {
      case 0x62: out[n++] = 0x08; break; // \b
      case 0x66: out[n++] = 0x0c; break; // \f
      case 0x6e: out[n++] = 0x0a; break; // \n
      case 0x72: out[n++] = 0x0d; break; // \r
      case 0x74: out[n++] = 0x09; break; // \t
      case 0x76: out[n++] = 0x0b; break; // \v
      case 0x78: { // \xH or \xHH
        let v = 0;
        let k = 0;
        for (; k < 2 && i < end && isHex(buf[i]!); k++) v = v * 16 + hexVal(buf[i++]!);
        if (k === 0) out[n++] = 0x78;
        else out[n++] = v;
        break;
      }
      default:
        if (c >= 0x30 && c <= 0x37) { // \1 to \377
          let v = c - 0x30;
          for (let k = 0; k < 2 && i < end && buf[i]! >= 0x30 && buf[i]! <= 0x37; k++) v = v * 8 + (buf[i++]! - 0x30);
          out[n++] = v & 0xff;
        } else {
          out[n++] = c; // \\ and any other escaped character stand for themselves
        }
    }
  }
  return out.toString("utf8", 0, n);
}

const isHex = (b: number) => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
const hexVal = (b: number) => (b <= 0x39 ? b - 0x30 : (b | 0x20) - 0x57);

const NEEDS_ESCAPE = /[\\\n\r\t\b\f\v]/;
const ESCAPES: Record<string, string> = { "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f", "\v": "\\v" };

/**
 * Encodes a value as a COPY text field, the way PostgreSQL's COPY TO does (`\N` for NULL).
 *
 * @example encodeField("a\tb") // "a\\tb"
 */
export function encodeField(value: string | null): string {
  if (value === null) return "\\N";
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/[\\\n\r\t\b\f\v]/g, (c) => ESCAPES[c]!);
}

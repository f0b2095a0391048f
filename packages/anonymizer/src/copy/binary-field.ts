import { NON_ASCII } from "../strategies/text.js";

/**
 * How a column's value in COPY binary format maps to the text rules see. `text` (text, varchar, char, json)
 * and `jsonb` (a version byte, then the text) are UTF-8 text both ways; `int2`, `int4`, `int8`, `bool`
 * and `uuid` can be read (by templates, `switch`, `same_as`) but only `null` written; `other` is passed through.
 */
export type BinaryKind = "text" | "jsonb" | "int2" | "int4" | "int8" | "bool" | "uuid" | "other";

const NULL_FIELD = "\xff\xff\xff\xff";
/** A string's UTF-8 bytes as a byte string (one latin1 character per byte). */
export const utf8Bytes = (v: string) => (NON_ASCII.test(v) ? Buffer.from(v, "utf8").toString("latin1") : v);
// Length prefixes of short values are made once.
const SHORT_PREFIXES = Array.from({ length: 4096 }, (_, n) => String.fromCharCode(0, 0, n >>> 8, n & 0xff));
const lengthPrefix = (n: number) => (n < 4096 ? SHORT_PREFIXES[n]! : String.fromCharCode(n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff));

/**
 * A value as a COPY binary field in byte-string form: its 4-byte length, then its UTF-8 bytes (after jsonb's
 * version byte); NULL is length -1. Only the text kinds can carry a value. `ascii`: the caller knows `v` is
 * ASCII (see OutputCharset), so it is not checked.
 *
 * @example binaryCopyField("é", "text") // "\x00\x00\x00\x02\xc3\xa9" (as latin1 characters)
 */
export function binaryCopyField(v: string | null, kind: BinaryKind, ascii = false): string {
  if (v === null) return NULL_FIELD;
  if (kind !== "text" && kind !== "jsonb") throw new Error(`a ${kind} column in COPY binary format can only be set to NULL`);
  let bytes = ascii ? v : utf8Bytes(v);
  if (kind === "jsonb") bytes = "\x01" + bytes;
  return lengthPrefix(bytes.length) + bytes;
}

/** The text of a non-NULL binary field `start..end` of `buf` (value bytes only, without the length). */
export function readBinaryValue(buf: Buffer, start: number, end: number, kind: BinaryKind): string {
  switch (kind) {
    case "int2":
      return String(buf.readInt16BE(start));
    case "int4":
      return String(buf.readInt32BE(start));
    case "int8":
      return String(buf.readBigInt64BE(start));
    case "bool":
      return buf[start] ? "t" : "f";
    case "uuid": {
      const h = buf.toString("hex", start, end);
      return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
    }
    case "jsonb":
      if (buf[start] !== 1) throw new Error(`unsupported jsonb binary version ${buf[start]}`);
      return buf.toString("utf8", start + 1, end);
    case "text":
      return buf.toString("utf8", start, end);
    default:
      // compileTable chooses binary format only when rules read no such column and change it only to NULL
      // (a rule that ignores the original value), so its text is never needed.
      return "";
  }
}

import { OperationFailedError } from "@odoo-deploy/core/base";
import { constants, isAscii } from "node:buffer";
import { Transform, type TransformCallback } from "node:stream";
import type { ColumnTransform, OutputCharset, RowView } from "../strategies/compile.js";
import { chunkAscii, outBytes, outField, outNull, outRaw, stageBytes, stageChunk, stagedChunk, stageFromChunk } from "../strategies/prf.js";
import { NON_ASCII } from "../strategies/text.js";
import { decodeField, encodeField } from "./codec.js";
import { GATHER_BYTES } from "./gather.js";

/** What to do with the columns of a COPY stream. */
export interface RowTransformSpec {
  /** Table name, for error messages. */
  table: string;
  /** Column names in COPY order. */
  columns: string[];
  /** A transform per column; `undefined` passes the field through as raw bytes. */
  transforms: (ColumnTransform | undefined)[];
  /**
   * Set when the table is copied in COPY's binary format: how each column's value reads as text (see
   * {@link BinaryKind}). Absent: text format.
   */
  binary?: BinaryKind[];
}

/**
 * How a column's value in COPY binary format maps to the text rules see. `text` (text, varchar, char, json)
 * and `jsonb` (a version byte, then the text) are UTF-8 text both ways; `int2`, `int4`, `int8`, `bool`
 * and `uuid` can be read (by templates, `switch`, `same_as`) but only `null` written; `other` is passed through.
 */
export type BinaryKind = "text" | "jsonb" | "int2" | "int4" | "int8" | "bool" | "uuid" | "other";

const NULL_FIELD = "\xff\xff\xff\xff";
/** A string's UTF-8 bytes as a byte string (one latin1 character per byte). */
const utf8Bytes = (v: string) => (NON_ASCII.test(v) ? Buffer.from(v, "utf8").toString("latin1") : v);
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
function readBinaryValue(buf: Buffer, start: number, end: number, kind: BinaryKind): string {
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

/** Counters of a {@link CopyRowTransform}. */
export interface RowTransformStats {
  rows: number;
  bytesIn: number;
  bytesOut: number;
}

/**
 * A chunk of COPY (or SQL dump) bytes seen as a "binary string": one character per byte (latin1), so character
 * offsets are byte offsets and slicing, searching and concatenating stay inside V8 instead of crossing into
 * C++ once per field. `ascii` says the chunk has no byte ≥ 0x80, so no field needs UTF-8 decoding. `staged`:
 * what stageChunk (prf.ts) returned when the bytes were copied into WebAssembly memory (-1 or absent: not).
 */
export interface ByteText {
  buf: Buffer;
  text: string;
  ascii: boolean;
  staged?: number;
}

/**
 * @param ascii what the caller knows already; binary COPY data, never all ASCII (lengths, numbers), passes
 *   `false` and skips the scan.
 * @example const chunk = byteText(buffer)
 */
export function byteText(buf: Buffer, ascii = isAscii(buf)): ByteText {
  return new ChunkText(buf, ascii);
}

/** {@link ByteText} whose string is made when first read: binary rows rewritten from their bytes need none. */
class ChunkText implements ByteText {
  staged = -1;
  private decoded: string | undefined;

  constructor(
    readonly buf: Buffer,
    readonly ascii: boolean,
  ) {}

  get text(): string {
    return (this.decoded ??= this.buf.toString("latin1"));
  }
}

const MAX_BUFFER_LENGTH = constants.MAX_LENGTH;

/**
 * Runs of rows longer than this are handled row by row, and single rows longer than this on bytes (Buffers)
 * instead of a latin1 string: V8 strings stop at about 512 MiB (a big attachment kept in `db_datas` gets there),
 * and a huge string would double the memory of such a row.
 */
export const MAX_TEXT_BYTES = 64 * 1024 * 1024;

const OUT_CHUNK_BYTES = 256 * 1024;
const ROWS_PER_WRITE_BYTES = 8 * 1024;

// A decoded field needs the slow path when it holds an escape or a UTF-8 sequence. (Regular expressions: on strings
// sliced from a chunk, indexOf and includes cost several times more.)
const NEEDS_DECODE = /[\\\x80-\xff]/;
const BACKSLASH = /\\/;
// An output value needs escaping (COPY specials) or UTF-8 encoding (non-ASCII).
const NEEDS_ENCODE = /[\\\n\r\t\b\f\v\u0080-\uffff]/;

/**
 * A value as a COPY text field in byte-string form: `\N` for NULL, specials escaped, non-ASCII as UTF-8 bytes.
 *
 * @example encodeBinaryField("é\t") // "\xc3\xa9\\t" (as latin1 characters)
 */
export function encodeBinaryField(v: string | null): string {
  if (v === null) return "\\N";
  return NEEDS_ENCODE.test(v) ? utf8Bytes(encodeField(v)) : v;
}

/** Throws ROW_TOO_LARGE when `size` bytes of one (still incomplete) row cannot be held in one buffer. */
export function checkRowSize(what: string, size: number): void {
  if (size > MAX_BUFFER_LENGTH) {
    throw new OperationFailedError(`${what}: a row of more than ${size} bytes is larger than the ${MAX_BUFFER_LENGTH} bytes a buffer can hold`, {
      code: "ROW_TOO_LARGE",
    });
  }
}

/**
 * Cuts a byte stream at line ends: {@link push} returns the bytes of every complete line received so far and
 * keeps the incomplete one as a list of chunks, so a long row is copied once when its end arrives instead of
 * being re-read with every chunk.
 *
 * @example const whole = lines.push(chunk); if (whole) handle(byteText(whole));
 */
export class LineChunks {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly what: string) {}

  push(chunk: Buffer): Buffer | undefined {
    const nl = chunk.lastIndexOf(10);
    if (nl === -1) {
      this.parts.push(chunk);
      this.size += chunk.length;
      this.check(this.size);
      return undefined;
    }
    const head = chunk.subarray(0, nl + 1);
    const whole = this.parts.length ? Buffer.concat([...this.parts, head], this.size + head.length) : head;
    this.check(whole.length);
    this.parts = nl + 1 < chunk.length ? [Buffer.from(chunk.subarray(nl + 1))] : [];
    this.size = chunk.length - nl - 1;
    return whole;
  }

  /** The bytes after the last line end (an incomplete line), if any. */
  rest(): Buffer | undefined {
    return this.size ? Buffer.concat(this.parts, this.size) : undefined;
  }

  private check(size: number): void {
    checkRowSize(this.what, size);
  }
}

const UNSET = Symbol("unset");

/**
 * Rewrites COPY text rows: finds fields on the byte string, decodes only the fields that have a transform (and
 * those the transforms read), and re-encodes the anonymized values; every other byte is passed through as a
 * slice of the input. Shared by the COPY stream transform and the SQL dump filter.
 *
 * @example const out = new RowRewriter(spec).row(chunk, start, newlineOffset) // the row, with its "\n"
 */
export class RowRewriter {
  rows = 0;
  private readonly index: Map<string, number>;
  private readonly last: number;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly origCache: (string | null | typeof UNSET)[];
  /** Per column: where its original lies verbatim as ASCII bytes in the chunk (start; -1 when it does not). */
  private readonly rawStarts: Int32Array;
  private readonly outCache: (string | null | typeof UNSET)[];
  private readonly busy: boolean[];
  private readonly ruled: number[];
  private readonly lastOutput: (string | null | typeof UNSET)[];
  private readonly lastEncoded: string[];
  /** Per column: the transform's promise about its outputs' characters. */
  private readonly charsets: (OutputCharset | undefined)[];
  /** Binary format, per text column: the transform's {@link ColumnTransform.fromChunk}, if any. */
  private readonly fromChunk: (((start: number, length: number) => string | null | undefined) | undefined)[];
  private readonly view: RowView;
  private chunk: ByteText = byteText(Buffer.alloc(0), true);
  private rowStart = 0;
  private rowEnd = 0;
  private splitUpTo = -1;
  private currentColumn = -1;
  private touched: number[] = [];
  /** Rewriting one huge row on its bytes (see {@link rowBytes}). */
  private onBytes = false;
  /** Binary COPY format: per column kind; the fields of a row are found by {@link walkTuple} beforehand. */
  private readonly kinds: BinaryKind[] | undefined;
  /** After {@link walkTuple} returned -1: the bytes from the tuple's start needed before trying again. */
  need = 0;
  /** The buffer {@link walkTuple} last read, and a DataView of it. */
  private walked: Buffer | undefined;
  private walkedView: DataView = new DataView(new ArrayBuffer(0));

  constructor(private readonly spec: RowTransformSpec) {
    this.kinds = spec.binary;
    this.index = new Map(spec.columns.map((c, i) => [c, i]));
    this.ruled = [];
    spec.transforms.forEach((t, i) => {
      if (t) this.ruled.push(i);
    });
    // Fields past the last transformed column are never split: they go out as one slice.
    this.last = this.ruled.length ? this.ruled[this.ruled.length - 1]! : -1;
    const n = spec.columns.length;
    this.starts = new Int32Array(n);
    this.ends = new Int32Array(n);
    this.origCache = new Array(n).fill(UNSET);
    this.rawStarts = new Int32Array(n).fill(-1);
    this.outCache = new Array(n).fill(UNSET);
    this.busy = new Array(n).fill(false);
    this.lastOutput = new Array(n).fill(UNSET);
    this.lastEncoded = new Array<string>(n).fill("");
    this.charsets = spec.transforms.map((t) => t?.charset);
    this.fromChunk = spec.transforms.map((t, i) => (spec.binary?.[i] === "text" ? t?.fromChunk : undefined));
    this.view = {
      original: (c) => this.original(this.col(c)),
      output: (c) => this.output(this.col(c)),
      stage: (v, at) => this.stage(v, at),
    };
  }

  private col(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new OperationFailedError(`${this.spec.table}: a rule refers to column ${name}, which is not copied`, { code: "RULE_COLUMN_MISSING" });
    return i;
  }

  private ensureSplit(i: number): void {
    // Fields are split lazily up to the ones needed (a template may read a column after the last ruled one).
    if (i <= this.splitUpTo) return;
    if (this.kinds) throw new Error("walkTuple must run before a binary row is rewritten");
    const { text, buf } = this.chunk;
    for (let k = this.splitUpTo + 1; k <= i; k++) {
      const s = k === 0 ? this.rowStart : this.ends[k - 1]! + 1;
      if (s > this.rowEnd) throw new OperationFailedError(`${this.spec.table}: row ${this.rows + 1} has fewer fields than columns`, { code: "COPY_FORMAT" });
      let e = this.onBytes ? buf.indexOf(9, s) : text.indexOf("\t", s);
      if (e === -1 || e > this.rowEnd) e = this.rowEnd;
      this.starts[k] = s;
      this.ends[k] = e;
    }
    this.splitUpTo = i;
  }

  private original(i: number): string | null {
    const c = this.origCache[i];
    if (c !== UNSET) return c as string | null;
    this.ensureSplit(i);
    const s = this.starts[i]!;
    const e = this.ends[i]!;
    let v: string | null;
    if (this.kinds) v = this.originalBinary(i, s, e);
    else if (this.onBytes) v = decodeField(this.chunk.buf, s, e);
    else if (e - s === 2 && this.chunk.text.charCodeAt(s) === 0x5c && this.chunk.text.charCodeAt(s + 1) === 0x4e) v = null;
    else {
      const { text } = this.chunk;
      v = text.slice(s, e);
      if ((this.chunk.ascii ? BACKSLASH.test(v) : NEEDS_DECODE.test(v))) v = decodeField(this.chunk.buf, s, e);
      else this.rawStarts[i] = s;
    }
    this.origCache[i] = v;
    this.touched.push(i);
    return v;
  }

  // A binary field is its 4-byte length (-1: NULL), then the value.
  private originalBinary(i: number, s: number, e: number): string | null {
    const { buf } = this.chunk;
    if (buf[s] === 0xff) return null;
    const kind = this.kinds![i]!;
    if (kind !== "text" || this.onBytes) {
      try {
        return readBinaryValue(buf, s + 4, e, kind);
      } catch (err) {
        throw new OperationFailedError(`${this.spec.table}: row ${this.rows + 1}, column ${this.spec.columns[i]}: ${(err as Error).message}`, { code: "COPY_FORMAT", cause: err });
      }
    }
    // Binary chunks are never all ASCII (lengths, numbers), so the field's own bytes are checked: in WebAssembly
    // when the chunk is there (a regular expression on the slice costs about 100 ns a field; a loop in JS more).
    const v = this.chunk.text.slice(s + 4, e);
    if (this.inWasm() ? !chunkAscii(s + 4, e) : NON_ASCII.test(v)) return buf.toString("utf8", s + 4, e);
    this.rawStarts[i] = s + 4;
    return v;
  }

  /**
   * {@link RowView.stage}: the original of the column being transformed, or its part at offset `at`, when the
   * chunk holds it as plain ASCII (a character a byte), is staged from the chunk's bytes (a string sliced from the
   * chunk is slow to encode, see stageBytes).
   */
  private stage(v: string, at?: number): number {
    const i = this.currentColumn;
    if (i < 0) return -1;
    let s = this.rawStarts[i]!;
    if (s < 0) return -1;
    const original = this.origCache[i] as string;
    if (at === undefined) {
      // The same string object in the common case (the transform got the original): a pointer comparison.
      if (original !== v) return -1;
    } else {
      if (!(at >= 0 && at + v.length <= original.length)) return -1;
      s += at;
    }
    return this.inWasm() ? stageFromChunk(s, s + v.length) : stageBytes(this.chunk.buf, s, s + v.length);
  }

  /** Whether the current chunk is the one staged in WebAssembly memory (see stageChunk). */
  private inWasm(): boolean {
    return this.chunk.staged === stagedChunk();
  }

  private output(i: number): string | null {
    const c = this.outCache[i];
    if (c !== UNSET) return c as string | null;
    const t = this.spec.transforms[i];
    const orig = this.original(i);
    let v: string | null;
    if (!t || orig === null) v = orig;
    else {
      if (this.busy[i]) throw new OperationFailedError(`${this.spec.table}.${this.spec.columns[i]}: rules refer to each other in a cycle`, { code: "RULE_CYCLE" });
      this.busy[i] = true;
      const prev = this.currentColumn;
      this.currentColumn = i;
      try {
        v = t(orig, this.view);
      } finally {
        this.busy[i] = false;
        this.currentColumn = prev;
      }
    }
    this.outCache[i] = v;
    return v;
  }

  /**
   * The rewritten row `start..end` of `chunk` (`end` being the offset of its `\n`), newline included, as a
   * byte string.
   */
  row(chunk: ByteText, start: number, end: number): string {
    this.begin(chunk, start, end);
    const { text } = chunk;
    let out = "";
    try {
      this.ensureSplit(this.last);
      let raw = start; // start of the pending untouched range
      const staged = this.kinds !== undefined && this.inWasm();
      for (const i of this.ruled) {
        const v = this.ruledOutput(i, staged);
        out += text.slice(raw, this.starts[i]!) + this.encodeOutput(v, i, this.outputAscii);
        raw = this.ends[i]!;
      }
      out += text.slice(raw, end + 1);
    } catch (e) {
      throw this.failure(e);
    }
    this.rows++;
    return out;
  }

  /**
   * {@link row} for a binary tuple of the chunk staged in WebAssembly memory, written there with prf.ts's out
   * functions (between outBegin and outEnd) instead of returned: the untouched bytes are copied in
   * WebAssembly, new values from their strings. Returns false, having written nothing, when `chunk` is not the
   * staged chunk.
   */
  rowInto(chunk: ByteText, start: number, end: number): boolean {
    this.begin(chunk, start, end);
    if (!this.kinds || !this.inWasm()) return false;
    try {
      let raw = start;
      for (const i of this.ruled) {
        const v = this.ruledOutput(i, true);
        outRaw(raw, this.starts[i]!);
        if (v === null) outNull();
        // ASCII text needs no encoding: its characters are its bytes.
        else if (this.outputAscii && this.kinds[i] === "text") outField(v);
        else outBytes(this.encodeOutput(v, i, this.outputAscii));
        raw = this.ends[i]!;
      }
      outRaw(raw, end + 1);
    } catch (e) {
      throw this.failure(e);
    }
    this.rows++;
    return true;
  }

  /** Set by {@link ruledOutput}: whether its value is known to be ASCII (see plainAscii). */
  private outputAscii = false;

  /**
   * The output of ruled column `i` of the current row. Binary fields of a chunk staged in WebAssembly memory
   * (`staged`) can be transformed from their bytes (fromChunk).
   */
  private ruledOutput(i: number, staged: boolean): string | null {
    const fromChunk = this.fromChunk[i];
    if (fromChunk !== undefined && staged && this.outCache[i] === UNSET) {
      // Without the original's string: no slice, no decoding, no ASCII check of its own (fromChunk makes it).
      const s = this.starts[i]!;
      let v: string | null | undefined;
      if (this.chunk.buf[s] === 0xff) v = null;
      else {
        this.currentColumn = i;
        v = fromChunk(s + 4, this.ends[i]! - s - 4);
        this.currentColumn = -1;
      }
      if (v !== undefined) {
        this.outCache[i] = v;
        this.touched.push(i);
        // fromChunk answers only for ASCII bytes, so an `asciiIn` promise holds too
        this.outputAscii = this.charsets[i] !== undefined;
        return v;
      }
    }
    const v = this.output(i);
    this.outputAscii = this.plainAscii(i);
    return v;
  }

  /**
   * Column `i`'s field for `v`. A value promised ASCII (binary format) is encoded by a length prefix alone.
   * Others may need UTF-8 bytes or escapes, so repeated ones (constants, memo hits) are encoded once; the check
   * is not worth it for the prefix: a new string of the same length as the last (phones, zips, long texts) is
   * compared by its contents (4-5 % of mail_message's time here).
   */
  private encodeOutput(v: string | null, i: number, ascii: boolean): string {
    if (v === null || ascii) return this.encode(v, i, ascii);
    if (v !== this.lastOutput[i]) {
      this.lastEncoded[i] = this.encode(v, i, ascii);
      this.lastOutput[i] = v;
    }
    return this.lastEncoded[i]!;
  }

  /**
   * {@link row} for a row too big for a string (over {@link MAX_TEXT_BYTES}): the same rules, on bytes; the
   * untouched ranges come back as views of `buf`.
   */
  rowBytes(buf: Buffer, start: number, end: number): Buffer[] {
    this.begin(byteText(buf, false), start, end); // (its string is never made: onBytes reads bytes)
    this.onBytes = true;
    const out: Buffer[] = [];
    try {
      this.ensureSplit(this.last);
      let raw = start;
      for (const i of this.ruled) {
        out.push(buf.subarray(raw, this.starts[i]!), Buffer.from(this.encode(this.output(i), i), "latin1"));
        raw = this.ends[i]!;
      }
      out.push(buf.subarray(raw, end + 1));
    } catch (e) {
      throw this.failure(e);
    } finally {
      this.onBytes = false;
      this.begin(byteText(Buffer.alloc(0), true), 0, 0); // drop the references to the huge row
      this.walked = undefined;
    }
    this.rows++;
    return out;
  }

  /** Binary format: whether column `i`'s output is known to be ASCII (rawStarts: the original was read as plain ASCII). */
  private plainAscii(i: number): boolean {
    if (!this.kinds) return false;
    const charset = this.charsets[i];
    return charset === "ascii" || (charset === "asciiIn" && this.rawStarts[i]! >= 0);
  }

  private encode(v: string | null, i: number, ascii = this.plainAscii(i)): string {
    if (!this.kinds) return encodeBinaryField(v);
    return binaryCopyField(v, this.kinds[i]!, ascii);
  }

  /**
   * Binary COPY format: finds the fields of the tuple at `pos` of `buf` and returns its end offset, or -1 when
   * `buf` ends inside it (then {@link need} holds how many bytes from `pos` are needed at least). Call it before
   * {@link row} or {@link rowBytes} (with the tuple's last byte as `end`).
   */
  walkTuple(buf: Buffer, pos: number): number {
    const n = this.starts.length;
    const len = buf.length;
    if (pos + 2 > len) return this.needs(2);
    const count = ((buf[pos]! << 24) | (buf[pos + 1]! << 16)) >> 16;
    if (count !== n) throw new OperationFailedError(`${this.spec.table}: row ${this.rows + 1} has ${count} fields, expected ${n}`, { code: "COPY_FORMAT" });
    let p = pos + 2;
    // A DataView reads the big-endian lengths in one step: the walk took 0.45 µs a res_partner row (45 fields)
    // byte by byte, 0.21 µs so.
    if (buf !== this.walked) {
      this.walked = buf;
      this.walkedView = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const dv = this.walkedView;
    const { starts, ends } = this;
    for (let k = 0; k < n; k++) {
      if (p + 4 > len) return this.needs(p + 4 - pos);
      const l = dv.getInt32(p);
      if (l < -1) throw new OperationFailedError(`${this.spec.table}: row ${this.rows + 1} has a field of length ${l}`, { code: "COPY_FORMAT" });
      starts[k] = p;
      p += 4 + (l > 0 ? l : 0);
      ends[k] = p;
    }
    return p > len ? this.needs(p - pos) : p;
  }

  private needs(bytes: number): number {
    this.need = bytes;
    return -1;
  }

  private begin(chunk: ByteText, start: number, end: number): void {
    this.chunk = chunk;
    this.rowStart = start;
    this.rowEnd = end;
    this.splitUpTo = this.kinds ? this.starts.length - 1 : -1;
    this.currentColumn = -1; // (a transform that threw may have left it set)
    for (const i of this.touched) {
      this.origCache[i] = UNSET;
      this.rawStarts[i] = -1;
      this.outCache[i] = UNSET;
    }
    this.touched = [];
  }

  private failure(e: unknown): OperationFailedError {
    if (e instanceof OperationFailedError) return e;
    const column = this.currentColumn >= 0 ? `, column ${this.spec.columns[this.currentColumn]}` : "";
    return new OperationFailedError(`${this.spec.table}: row ${this.rows + 1}${column}: ${(e as Error).message}`, {
      code: "TRANSFORM_FAILED",
      details: { table: this.spec.table, row: this.rows + 1 },
      cause: e,
    });
  }
}

/**
 * Calls `onRun` with the byte string of each run of rows of `whole` (all of it when small), and `onHuge` with
 * each row bigger than `limit`, in order.
 */
export function eachRun(whole: Buffer, limit: number, onRun: (bt: ByteText) => void, onHuge: (buf: Buffer, start: number, end: number) => void): void {
  if (whole.length <= limit) {
    onRun(byteText(whole));
    return;
  }
  let runStart = 0;
  let pos = 0;
  while (pos < whole.length) {
    const nl = whole.indexOf(10, pos);
    const end = nl === -1 ? whole.length - 1 : nl;
    if (end - pos + 1 > limit) {
      if (pos > runStart) onRun(byteText(whole.subarray(runStart, pos)));
      onHuge(whole, pos, end);
      runStart = end + 1;
    } else if (end + 1 - runStart > limit) {
      onRun(byteText(whole.subarray(runStart, pos)));
      runStart = pos;
    }
    pos = end + 1;
  }
  if (runStart < whole.length) onRun(byteText(whole.subarray(runStart)));
}

/**
 * The output side shared by the COPY transforms: rewritten rows (byte strings) are written into a buffer that is
 * passed on once it holds {@link GATHER_BYTES} (see GatherChunks for why), and counters are kept.
 */
export abstract class RowOutputTransform extends Transform {
  readonly stats: RowTransformStats = { rows: 0, bytesIn: 0, bytesOut: 0 };
  private out = Buffer.allocUnsafe(OUT_CHUNK_BYTES);
  private size = 0;
  /**
   * Rows not yet written into `out`: they are joined (a rope, no copy) and written a few kilobytes at a time, one
   * Buffer#write for many rows (2-6 % of the engine's time here). Always written before a run's chunk is released.
   */
  private rows = "";

  /** Appends a row (or any bytes) given as a byte string. */
  protected write1(row: string): void {
    this.rows += row;
    if (this.rows.length >= ROWS_PER_WRITE_BYTES) this.writeRows();
  }

  private writeRows(): void {
    const rows = this.rows;
    this.rows = "";
    if (this.size + rows.length > this.out.length) {
      if (this.size) this.flushOut(true);
      if (rows.length > this.out.length) this.out = Buffer.allocUnsafe(rows.length);
    }
    // Buffer#write stops silently at the end of the buffer: the checks above must leave room for all the rows.
    this.size += this.out.write(rows, this.size, "latin1");
  }

  /** Appends bytes, copied (`src` may be a view its owner reuses). */
  protected writeBytes(src: Uint8Array): void {
    if (this.rows) this.writeRows();
    if (this.size + src.length > this.out.length) {
      if (this.size) this.flushOut(true);
      if (src.length > this.out.length) return this.send(Buffer.from(src));
    }
    this.out.set(src, this.size);
    this.size += src.length;
  }

  /** Passes the gathered rows on when there are enough of them (`all`: whatever there is). */
  protected flushOut(all = false): void {
    if (this.rows) this.writeRows();
    if (!this.size || (!all && this.size < GATHER_BYTES)) return;
    const full = this.out.subarray(0, this.size);
    this.out = Buffer.allocUnsafe(OUT_CHUNK_BYTES);
    this.size = 0;
    this.send(full);
  }

  /** Passes buffers on after the gathered rows. */
  protected send(...parts: Buffer[]): void {
    if (this.size || this.rows) this.flushOut(true);
    for (const p of parts) {
      if (!p.length) continue;
      this.stats.bytesOut += p.length;
      if (this.held) this.held.push(p);
      else this.push(p);
    }
  }

  /** Buffers passed on while held (see {@link hold}). */
  private held: Buffer[] | undefined;

  /**
   * Keeps what is passed on until {@link release}: passing data on may run the next stream's transform at once,
   * which must not happen while a row is half written (see BinaryCopyTransform.run).
   */
  protected hold(): void {
    this.held ??= [];
  }

  /** Passes on what was held (`discard`: drops it, after a failure). */
  protected release(discard = false): void {
    const held = this.held;
    this.held = undefined;
    if (held && !discard) for (const p of held) this.push(p);
  }
}

/**
 * A stream transform over COPY text data: rows may span chunks; memory is bounded by the chunk size and the
 * longest row. See {@link RowRewriter} for what happens to a row.
 *
 * @example await pipeline(copyOut, new CopyRowTransform(spec), copyIn);
 */
export class CopyRowTransform extends RowOutputTransform {
  private readonly lines: LineChunks;
  private readonly rewriter: RowRewriter;
  private readonly table: string;

  /** @param options.maxTextBytes see {@link MAX_TEXT_BYTES} (tests lower it). */
  constructor(spec: RowTransformSpec, private readonly options: { maxTextBytes?: number } = {}) {
    super();
    this.rewriter = new RowRewriter(spec);
    this.table = spec.table;
    this.lines = new LineChunks(spec.table);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.stats.bytesIn += chunk.length;
      const whole = this.lines.push(chunk);
      if (whole) eachRun(whole, this.options.maxTextBytes ?? MAX_TEXT_BYTES, (bt) => this.run(bt), (buf, start, end) => this.send(...this.rewriter.rowBytes(buf, start, end)));
      this.stats.rows = this.rewriter.rows;
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  /** Rewrites the rows of a run; each row (a rope of slices and fakes) is written straight into the output. */
  private run(bt: ByteText): void {
    const { text } = bt;
    bt.staged = stageChunk(bt.buf);
    let pos = 0;
    for (let nl = text.indexOf("\n", pos); nl !== -1; nl = text.indexOf("\n", pos)) {
      this.write1(this.rewriter.row(bt, pos, nl));
      pos = nl + 1;
    }
    this.flushOut();
  }

  override _flush(cb: TransformCallback): void {
    this.flushOut(true);
    if (this.lines.rest()) {
      cb(new OperationFailedError(`${this.table}: COPY data ends in the middle of a row`, { code: "COPY_FORMAT" }));
      return;
    }
    cb();
  }
}

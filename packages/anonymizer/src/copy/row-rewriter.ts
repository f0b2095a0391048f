import { OperationFailedError } from "@odoo-deploy/core/base";
import type { Arena } from "../accelerator/arena.js";
import type { ColumnTransform, OutputCharset, RowView } from "../strategies/builder.js";
import { binaryCopyField, readBinaryValue, utf8Bytes, type BinaryKind } from "./binary-field.js";
import { byteText, type ByteText } from "./byte-text.js";
import { decodeField, encodeField } from "./codec.js";
import { NON_ASCII } from "../strategies/text.js";

// (Over 300 lines: one class, whose text and binary paths share their field caches and must stay side by side.)

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


const UNSET = Symbol("unset");
const EMPTY = byteText(Buffer.alloc(0), true);

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
  /** Binary format with an arena, per text column: the transform's {@link ColumnTransform.fromBytes}, if any. */
  private readonly fromBytes: ColumnTransform["fromBytes"][];
  /** Set by {@link ruledOutput}: whether its value is known to be ASCII (see plainAscii). */
  private outputAscii = false;
  private readonly view: RowView;
  private chunk: ByteText = EMPTY;
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

  /** @param arena the transform's accelerator; without one, only the reference (string) paths run. */
  constructor(
    private readonly spec: RowTransformSpec,
    private readonly arena?: Arena,
  ) {
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
    this.fromBytes = spec.transforms.map((t, i) => (arena && spec.binary?.[i] === "text" ? t?.fromBytes : undefined));
    const view: RowView = { original: (c) => this.original(this.col(c)), output: (c) => this.output(this.col(c)) };
    this.view = arena ? { ...view, arena, stage: (v, at) => this.stage(arena, v, at) } : view;
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
    // Binary chunks are never all ASCII (lengths, numbers), so the field's own bytes are checked: by the arena
    // when the chunk is there (cheaper than a regular expression on the slice).
    const v = this.chunk.text.slice(s + 4, e);
    if (this.chunk.staged ? !this.arena!.chunkAscii(s + 4, e) : NON_ASCII.test(v)) return buf.toString("utf8", s + 4, e);
    this.rawStarts[i] = s + 4;
    return v;
  }

  /**
   * {@link RowView.stage}: the original of the column being transformed, or its part at offset `at`, when the
   * chunk holds it as plain ASCII (a character a byte), is staged from the chunk's bytes (a string sliced from the
   * chunk is slow to encode and normalize; its bytes are not).
   */
  private stage(arena: Arena, v: string, at?: number): number {
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
    return this.chunk.staged ? arena.stageFromChunk(s, s + v.length) : arena.stageBytes(this.chunk.buf, s, s + v.length);
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
   * The output of ruled column `i` of the current row: from the field's bytes when the chunk is staged in the
   * arena and the transform can (no string of the original is made, sliced or checked), else {@link output}.
   */
  private ruledOutput(i: number): string | null {
    const fromBytes = this.fromBytes[i];
    if (fromBytes !== undefined && this.chunk.staged && this.outCache[i] === UNSET) {
      const s = this.starts[i]!;
      let v: string | null | undefined;
      if (this.chunk.buf[s] === 0xff) v = null;
      else {
        this.currentColumn = i;
        v = fromBytes(this.arena!, s + 4, this.ends[i]! - s - 4);
        this.currentColumn = -1;
      }
      if (v !== undefined) {
        this.outCache[i] = v;
        this.touched.push(i);
        // fromBytes answers only for ASCII bytes, so an `asciiIn` promise holds too
        this.outputAscii = this.charsets[i] !== undefined;
        return v;
      }
    }
    const v = this.output(i);
    this.outputAscii = this.plainAscii(i);
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
      for (const i of this.ruled) {
        const v = this.ruledOutput(i);
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
   * Column `i`'s field for `v`. A value promised ASCII (binary format) is encoded by a length prefix alone.
   * Others may need UTF-8 bytes or escapes, so repeated ones (constants, memo hits) are encoded once; the check
   * is not worth it for the prefix: a new string of the same length as the last (phones, zips, long texts) is
   * compared by its contents.
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
      this.begin(EMPTY, 0, 0); // drop the references to the huge row
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
    // A DataView reads each big-endian length in one step instead of four byte reads.
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

import { OperationFailedError } from "@odoo-deploy/core";
import { Transform, type TransformCallback } from "node:stream";
import type { ColumnTransform, RowView } from "../strategies/compile.js";
import { decodeField, encodeField, OutBuffer } from "./codec.js";

/** What to do with the columns of a COPY stream. */
export interface RowTransformSpec {
  /** Table name, for error messages. */
  table: string;
  /** Column names in COPY order. */
  columns: string[];
  /** A transform per column; `undefined` passes the field through as raw bytes. */
  transforms: (ColumnTransform | undefined)[];
}

/** Counters of a {@link CopyRowTransform}. */
export interface RowTransformStats {
  rows: number;
  bytesIn: number;
  bytesOut: number;
}

const UNSET = Symbol("unset");

/**
 * A stream transform over COPY text data: finds rows and fields on raw bytes, decodes only the fields that have
 * a transform (and those the transforms read), re-encodes the anonymized values, and copies every other byte
 * through untouched. Rows may span chunks; memory is bounded by the chunk size and the longest row.
 *
 * @example await pipeline(copyOut, new CopyRowTransform(spec), copyIn);
 */
export class CopyRowTransform extends Transform {
  readonly stats: RowTransformStats = { rows: 0, bytesIn: 0, bytesOut: 0 };
  private leftover: Buffer | undefined;
  private readonly out = new OutBuffer();
  private readonly index: Map<string, number>;
  private readonly last: number;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly origCache: (string | null | typeof UNSET)[];
  private readonly outCache: (string | null | typeof UNSET)[];
  private readonly busy: boolean[];
  private rowBuf: Buffer = Buffer.alloc(0);
  private currentColumn = -1;
  private readonly view: RowView;

  constructor(private readonly spec: RowTransformSpec) {
    super();
    this.index = new Map(spec.columns.map((c, i) => [c, i]));
    // Fields past the last transformed column are never split: they go out as one byte range.
    let last = -1;
    spec.transforms.forEach((t, i) => {
      if (t) last = i;
    });
    this.last = last;
    const n = spec.columns.length;
    this.starts = new Int32Array(n);
    this.ends = new Int32Array(n);
    this.origCache = new Array(n).fill(UNSET);
    this.outCache = new Array(n).fill(UNSET);
    this.busy = new Array(n).fill(false);
    this.view = {
      original: (c) => this.original(this.col(c)),
      output: (c) => this.output(this.col(c)),
    };
  }

  private col(name: string): number {
    const i = this.index.get(name);
    if (i === undefined) throw new OperationFailedError(`${this.spec.table}: a rule refers to column ${name}, which is not copied`, { code: "RULE_COLUMN_MISSING" });
    return i;
  }

  private ensureSplit(i: number): void {
    // Fields are split lazily up to the ones needed (a template may read a column after the last ruled one).
    if (i < this.splitUpTo) return;
    const buf = this.rowBuf;
    for (let k = this.splitUpTo + 1; k <= i; k++) {
      const s = k === 0 ? this.rowStart : this.ends[k - 1]! + 1;
      if (s > this.rowEnd) throw new OperationFailedError(`${this.spec.table}: row ${this.stats.rows + 1} has fewer fields than columns`, { code: "COPY_FORMAT" });
      let e = buf.indexOf(9, s);
      if (e === -1 || e > this.rowEnd) e = this.rowEnd;
      this.starts[k] = s;
      this.ends[k] = e;
    }
    this.splitUpTo = i;
  }

  private splitUpTo = -1;
  private rowStart = 0;
  private rowEnd = 0;

  private original(i: number): string | null {
    const c = this.origCache[i];
    if (c !== UNSET) return c as string | null;
    this.ensureSplit(i);
    const v = decodeField(this.rowBuf, this.starts[i]!, this.ends[i]!);
    this.origCache[i] = v;
    return v;
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
   * Transforms one row (bytes `start..end` of `buf`, `end` being its `\n`) into `out` (default: this stream's
   * own output), for callers that find rows themselves (the SQL stream filter).
   */
  transformRow(buf: Buffer, start: number, end: number, out: OutBuffer = this.out): void {
    this.row(buf, start, end, out);
  }

  private row(buf: Buffer, start: number, end: number, out: OutBuffer = this.out): void {
    this.rowBuf = buf;
    this.rowStart = start;
    this.rowEnd = end;
    this.splitUpTo = -1;
    this.origCache.fill(UNSET);
    this.outCache.fill(UNSET);
    try {
      this.ensureSplit(this.last);
      let raw = start; // start of the pending untouched byte range
      for (let i = 0; i <= this.last; i++) {
        if (!this.spec.transforms[i]) continue;
        const v = this.output(i);
        out.bytes(buf, raw, this.starts[i]!);
        out.string(encodeField(v));
        raw = this.ends[i]!;
      }
      out.bytes(buf, raw, end + 1);
    } catch (e) {
      const column = this.currentColumn >= 0 ? `, column ${this.spec.columns[this.currentColumn]}` : "";
      if (e instanceof OperationFailedError) throw e;
      throw new OperationFailedError(`${this.spec.table}: row ${this.stats.rows + 1}${column}: ${(e as Error).message}`, {
        code: "TRANSFORM_FAILED",
        details: { table: this.spec.table, row: this.stats.rows + 1 },
        cause: e,
      });
    }
    this.stats.rows++;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.stats.bytesIn += chunk.length;
      const buf = this.leftover ? Buffer.concat([this.leftover, chunk]) : chunk;
      this.leftover = undefined;
      let pos = 0;
      for (let nl = buf.indexOf(10, pos); nl !== -1; nl = buf.indexOf(10, pos)) {
        this.row(buf, pos, nl);
        pos = nl + 1;
      }
      if (pos < buf.length) this.leftover = Buffer.from(buf.subarray(pos));
      const data = this.out.take();
      this.stats.bytesOut += data.length;
      cb(null, data.length ? data : undefined);
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.leftover?.length) {
      cb(new OperationFailedError(`${this.spec.table}: COPY data ends in the middle of a row`, { code: "COPY_FORMAT" }));
      return;
    }
    cb();
  }
}

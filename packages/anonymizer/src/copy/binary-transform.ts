import { OperationFailedError } from "@odoo-deploy/core/base";
import type { TransformCallback } from "node:stream";
import type { Arena } from "../accelerator/arena.js";
import { byteText, checkRowSize, MAX_TEXT_BYTES, type ByteText } from "./byte-text.js";
import { RowOutputTransform } from "./row-output.js";
import { RowRewriter, type RowTransformSpec } from "./row-rewriter.js";
import type { RowTransformOptions } from "./row-transform.js";

// COPY binary format: an 11-byte signature, 32-bit flags, a 32-bit header extension length and the extension;
// then tuples (a 16-bit field count, then per field a 32-bit length, -1 for NULL, and the bytes); then -1 as a
// 16-bit count. Text values are the UTF-8 bytes, unescaped.
const SIGNATURE = Buffer.from("PGCOPY\n\xff\r\n\0", "latin1");
const HEADER_BYTES = 19;

/**
 * A stream transform over COPY binary data (`COPY … TO STDOUT (FORMAT binary)`): the same rules as
 * {@link CopyRowTransform}, on fields found by their lengths instead of by scanning for tabs and newlines, with
 * no escaping: PostgreSQL prints and parses no timestamps, numbers or bytea. The spec's `binary` says how each
 * column reads as text.
 *
 * @example await pipeline(copyOut, new BinaryCopyTransform({ ...spec, binary: kinds }, { arena }), copyIn);
 */
export class BinaryCopyTransform extends RowOutputTransform {
  private readonly rewriter: RowRewriter;
  private readonly table: string;
  private readonly limit: number;
  private readonly arena: Arena | undefined;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Bytes needed (from the first pending byte) before parsing can go on. */
  private need = 0;
  private state: "header" | "tuples" | "done" = "header";

  constructor(spec: RowTransformSpec, options: RowTransformOptions = {}) {
    super();
    if (!spec.binary) throw new Error(`${spec.table}: BinaryCopyTransform needs the columns' binary kinds`);
    this.arena = options.arena;
    this.rewriter = new RowRewriter(spec, options.arena);
    this.table = spec.table;
    this.limit = options.maxTextBytes ?? MAX_TEXT_BYTES;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.stats.bytesIn += chunk.length;
      this.pending.push(chunk);
      this.pendingBytes += chunk.length;
      checkRowSize(this.table, this.pendingBytes);
      // A long row is gathered until it can be complete, not re-read with every chunk.
      if (this.pendingBytes >= this.need) {
        const whole = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
        const pos = this.consume(whole);
        this.flushOut();
        // The incomplete tuple is copied, so it keeps no whole chunk alive.
        const rest = pos === 0 ? whole : pos < whole.length ? Buffer.from(whole.subarray(pos)) : undefined;
        this.pending = rest ? [rest] : [];
        this.pendingBytes = rest ? rest.length : 0;
      }
      this.stats.rows = this.rewriter.rows;
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  /** Handles everything complete in `whole`; returns where the incomplete rest starts (and sets {@link need}). */
  private consume(whole: Buffer): number {
    let pos = 0;
    if (this.state === "header") {
      const seen = Math.min(whole.length, SIGNATURE.length);
      if (whole.compare(SIGNATURE, 0, seen, 0, seen) !== 0) throw this.formatError("the data is not in COPY binary format");
      if (whole.length < HEADER_BYTES) return this.wait(0, HEADER_BYTES);
      const end = HEADER_BYTES + whole.readUInt32BE(15);
      if (whole.length < end) return this.wait(0, end);
      this.write1(whole.toString("latin1", 0, end));
      this.state = "tuples";
      pos = end;
    }
    if (whole.length - pos <= this.limit) return this.run(whole, pos);
    // More than a string should hold: runs of rows of at most `limit` bytes, and huge rows on bytes.
    let runStart = pos;
    for (;;) {
      if (this.state === "done" || pos + 2 > whole.length || whole.readInt16BE(pos) === -1) break;
      const end = this.rewriter.walkTuple(whole, pos);
      if (end === -1) break;
      if (end - pos > this.limit) {
        if (pos > runStart) {
          this.run(whole.subarray(runStart, pos), 0);
          // That run walked its own tuples: find this one's fields again.
          this.rewriter.walkTuple(whole, pos);
        }
        this.send(...this.rewriter.rowBytes(whole, pos, end - 1));
        runStart = end;
      } else if (end - runStart > this.limit) {
        this.run(whole.subarray(runStart, pos), 0);
        runStart = pos;
      }
      pos = end;
    }
    if (pos > runStart) this.run(whole.subarray(runStart, pos), 0);
    // Left: the end marker (and whatever follows it), or an incomplete tuple.
    const marker = this.state === "done" || (pos + 2 <= whole.length && whole.readInt16BE(pos) === -1);
    return marker ? pos + this.run(whole.subarray(pos), 0) : this.wait(pos, pos + 2 > whole.length ? 2 : this.rewriter.need);
  }

  /** Rewrites the tuples of `buf` from `pos` (and the end marker); returns where an incomplete tuple starts. */
  private run(buf: Buffer, pos: number): number {
    const bt = byteText(buf, false);
    // Fields are checked for UTF-8 and hashed where they lie in the arena (a chunk too big is staged field by field).
    bt.staged = this.arena?.stageChunk(buf) ?? false;
    return this.tuples(bt, pos);
  }

  private tuples(bt: ByteText, pos: number): number {
    const { buf } = bt;
    for (;;) {
      if (this.state === "done") {
        if (pos < buf.length) throw this.formatError("data follows the end marker");
        return pos;
      }
      if (pos + 2 > buf.length) return this.wait(pos, 2);
      if (buf[pos] === 0xff && buf[pos + 1] === 0xff) {
        this.write1("\xff\xff");
        this.state = "done";
        pos += 2;
        continue;
      }
      const end = this.rewriter.walkTuple(buf, pos);
      if (end === -1) return this.wait(pos, this.rewriter.need);
      this.write1(this.rewriter.row(bt, pos, end - 1));
      pos = end;
    }
  }

  private wait(pos: number, need: number): number {
    this.need = need;
    return pos;
  }

  private formatError(what: string): OperationFailedError {
    return new OperationFailedError(`${this.table}: ${what}`, { code: "COPY_FORMAT" });
  }

  override _flush(cb: TransformCallback): void {
    this.flushOut(true);
    if (this.state !== "done" || this.pendingBytes) {
      cb(this.formatError(this.state === "done" ? "data follows the end marker" : "COPY data ends in the middle of a row"));
      return;
    }
    cb();
  }
}

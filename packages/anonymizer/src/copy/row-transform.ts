import { OperationFailedError } from "@odoo-deploy/core/base";
import type { TransformCallback } from "node:stream";
import type { Arena } from "../accelerator/arena.js";
import { eachRun, LineChunks, MAX_TEXT_BYTES, type ByteText } from "./byte-text.js";
import { RowOutputTransform } from "./row-output.js";
import { RowRewriter, type RowTransformSpec } from "./row-rewriter.js";

/** Options of the COPY row transforms. */
export interface RowTransformOptions {
  /** The accelerator this transform uses (one per worker, never shared by two transforms at once); none: the reference paths only. */
  arena?: Arena;
  /** See {@link MAX_TEXT_BYTES} (tests lower it). */
  maxTextBytes?: number;
}

/**
 * A stream transform over COPY text data: rows may span chunks; memory is bounded by the chunk size and the
 * longest row. See {@link RowRewriter} for what happens to a row.
 *
 * @example await pipeline(copyOut, new CopyRowTransform(spec, { arena }), copyIn);
 */
export class CopyRowTransform extends RowOutputTransform {
  private readonly lines: LineChunks;
  private readonly rewriter: RowRewriter;
  private readonly table: string;
  private readonly arena: Arena | undefined;
  private readonly limit: number;

  constructor(spec: RowTransformSpec, options: RowTransformOptions = {}) {
    super();
    this.arena = options.arena;
    this.rewriter = new RowRewriter(spec, options.arena);
    this.table = spec.table;
    this.lines = new LineChunks(spec.table);
    this.limit = options.maxTextBytes ?? MAX_TEXT_BYTES;
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.stats.bytesIn += chunk.length;
      const whole = this.lines.push(chunk);
      if (whole) eachRun(whole, this.limit, (bt) => this.run(bt), (buf, start, end) => this.send(...this.rewriter.rowBytes(buf, start, end)));
      this.stats.rows = this.rewriter.rows;
      cb();
    } catch (e) {
      cb(e as Error);
    }
  }

  /** Rewrites the rows of a run; each row (a rope of slices and fakes) is written straight into the output. */
  private run(bt: ByteText): void {
    const { text } = bt;
    bt.staged = this.arena?.stageChunk(bt.buf) ?? false;
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

export type { RowTransformSpec } from "./row-rewriter.js";
export type { RowTransformStats } from "./row-output.js";
export type { BinaryKind } from "./binary-field.js";

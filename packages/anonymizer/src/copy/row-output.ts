import { Transform } from "node:stream";
import { GATHER_BYTES } from "./gather.js";

/** Counters of a COPY row transform. */
export interface RowTransformStats {
  rows: number;
  bytesIn: number;
  bytesOut: number;
}

const OUT_CHUNK_BYTES = 256 * 1024;
const ROWS_PER_WRITE_BYTES = 8 * 1024;

/**
 * The output side shared by the COPY transforms: rewritten rows (byte strings, or bytes) are written into a
 * buffer that is passed on once it holds {@link GATHER_BYTES} (see GatherChunks for why), and counters are kept.
 */
export abstract class RowOutputTransform extends Transform {
  readonly stats: RowTransformStats = { rows: 0, bytesIn: 0, bytesOut: 0 };
  private out = Buffer.allocUnsafe(OUT_CHUNK_BYTES);
  private size = 0;
  /** Rows not yet written into `out`: joined (a rope, no copy) and written with one Buffer#write for many rows. */
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
      this.push(p);
    }
  }
}

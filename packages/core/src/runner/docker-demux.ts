import { Writable } from "node:stream";
import { writeWithBackpressure } from "./streamed.js";
import type { PassThrough } from "node:stream";

/**
 * Splits Docker's multiplexed attach/exec stream (8-byte frame headers: stream type, 3 zero bytes, big-endian
 * payload length) into stdout and stderr. Unlike `modem.demuxStream` it respects backpressure: a frame is
 * acknowledged only once the destination accepted it, so a slow reader of a container's `pg_dump` output
 * slows the container down instead of filling this process's memory.
 *
 * @example await pipeline(execStream, new DockerDemuxer(stdout, stderr));
 */
export class DockerDemuxer extends Writable {
  private header = Buffer.alloc(8);
  private headerFill = 0;
  private remaining = 0;
  private target: PassThrough | undefined;
  private firstFrame = true;

  constructor(
    private readonly out: PassThrough,
    private readonly err: PassThrough,
  ) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.consume(chunk).then(() => callback(), callback);
  }

  private async consume(chunk: Buffer): Promise<void> {
    let off = 0;
    while (off < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(8 - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + take);
        this.headerFill += take;
        off += take;
        if (this.headerFill < 8) return;
        this.headerFill = 0;
        const type = this.header[0];
        this.remaining = this.header.readUInt32BE(4);
        // 0 is stdin echoed back (never with Tty off); treat unknown types as stdout rather than losing bytes.
        this.target = type === 2 ? this.err : this.out;
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - off);
      const payload = chunk.subarray(off, off + take);
      if (this.firstFrame) {
        this.firstFrame = false;
        // The engine reports an exec that could not start (missing binary) on the stdout stream; that
        // message belongs to stderr, not to the caller's data.
        if (this.target === this.out && payload.subarray(0, 23).toString("latin1") === "OCI runtime exec failed") this.target = this.err;
      }
      off += take;
      this.remaining -= take;
      const wait = writeWithBackpressure(this.target!, payload);
      if (wait) await wait;
    }
  }
}

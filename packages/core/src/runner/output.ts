import { StringDecoder } from "node:string_decoder";

/** Default number of bytes of each output stream kept in memory. */
export const DEFAULT_MAX_BUFFER = 8 * 1024 * 1024;

/**
 * Collects a stream's bytes up to a cap, keeping the tail: for a failed command the last lines are the ones
 * that explain why.
 *
 * @example const t = new TailBuffer(1024); t.push(chunk); t.toString();
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  truncated = false;

  constructor(private readonly max: number = DEFAULT_MAX_BUFFER) {}

  push(chunk: Buffer): void {
    if (this.max <= 0) {
      this.truncated ||= chunk.length > 0;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.max && this.chunks.length > 0) {
      const first = this.chunks[0]!;
      const excess = this.size - this.max;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
      }
      this.truncated = true;
    }
  }

  toString(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

/**
 * Splits a byte stream into text lines (LF or CRLF), holding an incomplete last line until more comes.
 *
 * @example const s = new LineSplitter((l) => console.log(l)); s.push(chunk); s.end();
 */
export class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private pending = "";

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    const text = this.pending + this.decoder.write(chunk);
    const lines = text.split("\n");
    this.pending = lines.pop() ?? "";
    for (const l of lines) this.onLine(l.endsWith("\r") ? l.slice(0, -1) : l);
  }

  end(): void {
    const rest = this.pending + this.decoder.end();
    this.pending = "";
    if (rest.length > 0) this.onLine(rest);
  }
}

/**
 * Feeds a readable stream into a tail buffer and an optional line callback, without consuming it for anyone
 * else (it attaches a 'data' listener, so use it only on streams nobody else reads).
 */
export function collect(stream: NodeJS.ReadableStream, buffer: TailBuffer, onLine?: (line: string) => void): Promise<void> {
  const splitter = onLine ? new LineSplitter(onLine) : undefined;
  return new Promise((resolve) => {
    stream.on("data", (c: Buffer | string) => {
      const b = typeof c === "string" ? Buffer.from(c) : c;
      buffer.push(b);
      splitter?.push(b);
    });
    const done = () => {
      splitter?.end();
      resolve();
    };
    stream.once("end", done);
    stream.once("close", done);
    stream.once("error", done);
  });
}

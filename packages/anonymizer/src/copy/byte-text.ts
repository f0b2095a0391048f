import { OperationFailedError } from "@odoo-deploy/core/base";
import { constants, isAscii } from "node:buffer";

/**
 * A chunk of COPY (or SQL dump) bytes seen as a "binary string": one character per byte (latin1), so character
 * offsets are byte offsets and slicing, searching and concatenating stay inside V8 instead of crossing into
 * C++ once per field. `ascii` says the chunk has no byte ≥ 0x80, so no field needs UTF-8 decoding. `staged`:
 * the bytes were copied into the transform's arena (its fields can be read there).
 */
export interface ByteText {
  buf: Buffer;
  text: string;
  ascii: boolean;
  staged: boolean;
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
  staged = false;
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
      checkRowSize(this.what, this.size);
      return undefined;
    }
    const head = chunk.subarray(0, nl + 1);
    const whole = this.parts.length ? Buffer.concat([...this.parts, head], this.size + head.length) : head;
    checkRowSize(this.what, whole.length);
    this.parts = nl + 1 < chunk.length ? [Buffer.from(chunk.subarray(nl + 1))] : [];
    this.size = chunk.length - nl - 1;
    return whole;
  }

  /** The bytes after the last line end (an incomplete line), if any. */
  rest(): Buffer | undefined {
    return this.size ? Buffer.concat(this.parts, this.size) : undefined;
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

import { type Normalize } from "./prf.js";
import type { Hash64, PrfKey } from "./siphash.js";
import { SIPHASH_WASM_BASE64 } from "./wasm/siphash-wasm.js";

// (The WebAssembly JS API, typed here: this project's TypeScript libs do not include it.)
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmExports {
  sipn: (key: number, msg: number, len: number, mode: number, scratch: number) => number;
  ascii: (at: number, len: number) => number;
  memory: WasmMemory;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: WasmExports };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const MODULE = new Module(Buffer.from(SIPHASH_WASM_BASE64, "base64"));

// The memory layout (see wasm/siphash.wat for what each function reads and writes).
const RESULT_AT = 0; // the 64-bit result of sip
const KEY_AT = 16;
const STAGED_AT = 64; // a value staged by stageBytes, then its normalized copy
const MAX_STAGED = 16 * 1024;
const CHUNK_AT = STAGED_AT + 2 * MAX_STAGED;
// COPY data arrives in chunks of 8 to 64 KiB; the runs of rows of a bigger one are staged field by field.
const MAX_CHUNK = 1024 * 1024;
const MEMORY_BYTES = CHUNK_AT + MAX_CHUNK;

/**
 * The WebAssembly accelerator of one COPY transform (one per worker): its own instance and memory, where a chunk
 * of COPY data is staged once and a field's bytes are checked for ASCII and hashed (normalized) where they lie,
 * instead of slicing, encoding and normalizing a string of the field (slow on strings sliced from a chunk).
 * Every hash equals prf.ts's prfHash of the normalized string; an arena is never shared, so nothing staged can
 * be replaced behind its owner's back.
 *
 * @example const arena = new Arena(); if (arena.stageChunk(buf) && arena.chunkAscii(s, e)) arena.hashStaged(key, arena.stageFromChunk(s, e), Normalize.none, h);
 */
export class Arena {
  private readonly wasm: WasmExports;
  private readonly words: Int32Array;
  private readonly mem: Buffer;
  private keyInMemory: PrfKey | undefined;
  /** Where the bytes hashStaged reads start: STAGED_AT, or in the staged chunk. */
  private stagedAt = STAGED_AT;

  constructor() {
    this.wasm = new Instance(MODULE).exports;
    const memory = this.wasm.memory;
    memory.grow(Math.ceil((MEMORY_BYTES - memory.buffer.byteLength) / 65536));
    this.words = new Int32Array(memory.buffer);
    this.mem = Buffer.from(memory.buffer);
  }

  /**
   * Copies bytes `start..end` of `buf` (a field of a COPY row) where {@link hashStaged} reads them; returns their
   * length, or -1 when there are too many.
   */
  stageBytes(buf: Uint8Array, start: number, end: number): number {
    const n = end - start;
    if (n > MAX_STAGED) return -1;
    this.stagedAt = STAGED_AT;
    const mem = this.mem;
    // a short copy is cheaper as a loop than as a subarray view and a set
    if (n <= 48) for (let k = 0; k < n; k++) mem[STAGED_AT + k] = buf[start + k]!;
    else mem.set(buf.subarray(start, end), STAGED_AT);
    return n;
  }

  /** Copies a whole chunk of COPY data into memory, where the chunk methods read it; false when it is too big. */
  stageChunk(buf: Uint8Array): boolean {
    if (buf.length > MAX_CHUNK) return false;
    this.mem.set(buf, CHUNK_AT);
    return true;
  }

  /** {@link stageBytes} for bytes `start..end` of the staged chunk: nothing is copied. */
  stageFromChunk(start: number, end: number): number {
    const n = end - start;
    if (n > MAX_STAGED) return -1;
    this.stagedAt = CHUNK_AT + start;
    return n;
  }

  /**
   * prfHash of the `length` bytes last staged, normalized by `normalize`, into `out`: the same result as from
   * their string. False when the bytes need the string normalization (non-ASCII with lowerTrim).
   */
  hashStaged(key: PrfKey, length: number, normalize: Normalize, out: Hash64): boolean {
    if (key !== this.keyInMemory) {
      this.words.set(key, KEY_AT >> 2);
      this.keyInMemory = key;
    }
    if (this.wasm.sipn(KEY_AT, this.stagedAt, length, normalize, STAGED_AT + MAX_STAGED) === 0) return false;
    out.lo = this.words[RESULT_AT >> 2]! >>> 0;
    out.hi = this.words[(RESULT_AT >> 2) + 1]! >>> 0;
    return true;
  }

  /** Whether bytes `start..end` of the staged chunk are all ASCII. */
  chunkAscii(start: number, end: number): boolean {
    return this.wasm.ascii(CHUNK_AT + start, end - start) === 1;
  }
}

/**
 * Whether to run the reference paths only, without an arena: `option` when given, else whether the
 * environment variable `ODOO_DEPLOY_ANONYMIZE_REFERENCE` is `1` (so a whole CLI run can be compared).
 *
 * @example const arena = referenceOnly(options.reference) ? undefined : new Arena();
 */
export function referenceOnly(option?: boolean): boolean {
  return option ?? process.env.ODOO_DEPLOY_ANONYMIZE_REFERENCE === "1";
}

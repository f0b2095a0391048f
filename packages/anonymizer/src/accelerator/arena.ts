import { Normalize } from "./prf.js";
import type { Hash64, PrfKey } from "./siphash.js";
import type { Draw } from "./draw.js";
import { SIPHASH_WASM_BASE64 } from "./wasm/siphash-wasm.js";
import { TEXT_WASM_BASE64 } from "./wasm/text-wasm.js";

// (The WebAssembly JS API, typed here: this project's TypeScript libs do not include it.)
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmExports {
  sipn: (key: number, msg: number, len: number, mode: number, scratch: number) => number;
  ascii: (at: number, len: number) => number;
  space: (c: number) => number;
  memory: WasmMemory;
}
interface TextExports {
  has2: (at: number, len: number, a: number, b: number) => number;
  header: (at: number, len: number, res: number) => number;
  words: (at: number, len: number, out: number, cap: number, a: number, b: number, c: number, d: number, table: number, html: number) => number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new <E>(module: object, imports?: object) => { exports: E };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const MODULE = new Module(Buffer.from(SIPHASH_WASM_BASE64, "base64"));
// The text functions (text.wat) work on the same memory: the hashing instance's, imported.
const TEXT_MODULE = new Module(Buffer.from(TEXT_WASM_BASE64, "base64"));

// The memory layout (see wasm/siphash.wat for what each function reads and writes).
const RESULT_AT = 0; // the 64-bit result of sip
const KEY_AT = 16;
const HEADER_AT = 32; // what `header` finds: four i32
const STAGED_AT = 64; // a value staged by stageBytes, then its normalized copy
const MAX_STAGED = 16 * 1024;
const CHUNK_AT = STAGED_AT + 2 * MAX_STAGED;
// COPY data arrives in chunks of 8 to 64 KiB; the runs of rows of a bigger one are staged field by field.
const MAX_CHUNK = 1024 * 1024;
// The lorem words of replaceWords, by length (see text.wat's replaceWords for the layout).
const LOREM_AT = CHUNK_AT + MAX_CHUNK;
const LOREM_BYTES = 4096;
// What replaceWords writes: a staged value's words replaced, entities and tags kept (at most about twice as long).
const WORDS_OUT_AT = LOREM_AT + LOREM_BYTES;
const WORDS_OUT_BYTES = 2 * MAX_STAGED + 1024;
const MEMORY_BYTES = WORDS_OUT_AT + WORDS_OUT_BYTES;

/** Lorem words by length: at each index, the words (all of that length, lowercase ASCII letters, at most 16) to draw from. */
export type WordTable = readonly (readonly string[])[];
const NOT_LOWER_ASCII = /[^a-z]/;

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
  /**
   * Where the parts of the e-mail header found by {@link chunkHeader} lie in the staged chunk: the name's start
   * and end, 1 when it was quoted, and the offset of `<` (the address runs from there to the last byte, `>`).
   */
  readonly headerParts = new Int32Array(4);
  private readonly wasm: WasmExports;
  private readonly text: TextExports;
  private tableInMemory: WordTable | undefined;
  private readonly words: Int32Array;
  private readonly mem: Buffer;
  private keyInMemory: PrfKey | undefined;
  /** Where the bytes hashStaged reads start: STAGED_AT, or in the staged chunk. */
  private stagedAt = STAGED_AT;

  constructor() {
    this.wasm = new Instance<WasmExports>(MODULE).exports;
    const memory = this.wasm.memory;
    this.text = new Instance<TextExports>(TEXT_MODULE, { arena: { memory, ascii: this.wasm.ascii, space: this.wasm.space } }).exports;
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
   * their string. False when the bytes need the string normalization (non-ASCII with lowerTrim), and with
   * `asciiOnly` when any byte is not ASCII (bytes read without their string, not known to be valid UTF-8).
   */
  hashStaged(key: PrfKey, length: number, normalize: Normalize, out: Hash64, asciiOnly = false): boolean {
    if (key !== this.keyInMemory) {
      // (four stores: TypedArray#set from an array takes a generic path, several times slower, once per field)
      const words = this.words;
      words[KEY_AT >> 2] = key[0];
      words[(KEY_AT >> 2) + 1] = key[1];
      words[(KEY_AT >> 2) + 2] = key[2];
      words[(KEY_AT >> 2) + 3] = key[3];
      this.keyInMemory = key;
    }
    // (lowerTrim refuses a byte over 0x7f as it goes: asking for ASCII as well would scan the bytes twice)
    const mode = asciiOnly && normalize !== Normalize.lowerTrim ? normalize | 4 : normalize;
    if (this.wasm.sipn(KEY_AT, this.stagedAt, length, mode, STAGED_AT + MAX_STAGED) === 0) return false;
    out.lo = this.words[RESULT_AT >> 2]! >>> 0;
    out.hi = this.words[(RESULT_AT >> 2) + 1]! >>> 0;
    return true;
  }

  /** Whether bytes `start..end` of the staged chunk are all ASCII. */
  chunkAscii(start: number, end: number): boolean {
    return this.wasm.ascii(CHUNK_AT + start, end - start) === 1;
  }

  /** The string of bytes `start..end` of the staged chunk, a character a byte (latin1). */
  chunkLatin1(start: number, end: number): string {
    if (end - start > 16) return this.mem.toString("latin1", CHUNK_AT + start, CHUNK_AT + end);
    let s = "";
    for (let i = CHUNK_AT + start; i < CHUNK_AT + end; i++) s += String.fromCharCode(this.mem[i]!);
    return s;
  }

  /** Whether bytes `start..end` of the staged chunk hold the byte `a` or the byte `b`. @example arena.chunkHasEither(s, e, 0x3c, 0x2c) */
  chunkHasEither(start: number, end: number, a: number, b: number): boolean {
    return this.text.has2(CHUNK_AT + start, end - start, a, b) === 1;
  }

  /**
   * Whether bytes `start..start + length` of the staged chunk are one ASCII e-mail header `"Name" <address>` (or
   * `Name <address>`) that email.ts's rewriteAddresses takes apart as its common form; then {@link headerParts}
   * says where its parts are.
   */
  chunkHeader(start: number, length: number): boolean {
    if (this.text.header(CHUNK_AT + start, length, HEADER_AT) === 0) return false;
    const at = HEADER_AT >> 2;
    const parts = this.headerParts;
    parts[0] = this.words[at]! - CHUNK_AT;
    parts[1] = this.words[at + 1]! - CHUNK_AT;
    parts[2] = this.words[at + 2]!;
    parts[3] = this.words[at + 3]! - CHUNK_AT;
    return true;
  }

  /**
   * text.ts's replaceHtmlText (`html`) or replaceWords of the `length` bytes last staged, with the words of
   * `table`, drawing from `draw` as they do (from a copy of its state: `draw` itself does not move). Undefined
   * when the JS version must run: bytes that are not ASCII, a tag holding an address, an output over its region.
   */
  replaceWords(length: number, draw: Draw, html: boolean, table: WordTable): string | undefined {
    if (table !== this.tableInMemory) this.writeTable(table);
    const n = this.text.words(this.stagedAt, length, WORDS_OUT_AT, WORDS_OUT_BYTES, draw.a, draw.b, draw.c, draw.d, LOREM_AT, html ? 1 : 0);
    return n < 0 ? undefined : this.mem.toString("latin1", WORDS_OUT_AT, WORDS_OUT_AT + n);
  }

  /** Writes `table` at LOREM_AT in the layout text.wat's replaceWords reads. */
  private writeTable(table: WordTable): void {
    const last = table.length - 1;
    let at = LOREM_AT + 4 + 12 * table.length; // the words, after the header and the entries
    const words = this.words;
    words[LOREM_AT >> 2] = last;
    table.forEach((list, len) => {
      const wordLength = list[0]?.length ?? 0;
      const entry = (LOREM_AT + 4 + 12 * len) >> 2;
      words[entry] = list.length;
      words[entry + 1] = wordLength;
      words[entry + 2] = at;
      for (const w of list) {
        // (the WebAssembly copies a word as 16 bytes)
        if (w.length !== wordLength || wordLength > 16 || NOT_LOWER_ASCII.test(w)) throw new Error(`lorem list ${len}: "${w}" is not ${wordLength} (at most 16) lowercase ASCII letters`);
        at += this.mem.write(w, at, "latin1");
      }
    });
    if (at + 16 > LOREM_AT + LOREM_BYTES) throw new Error("the lorem words do not fit their WebAssembly region");
    this.tableInMemory = table;
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

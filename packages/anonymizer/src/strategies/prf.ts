import { createHmac } from "node:crypto";
import { LOREM_FOR_LENGTH } from "./text.js";
import { SIPHASH_WASM_BASE64 } from "./wasm/siphash-wasm.js";

/**
 * The keyed pseudo-random function behind every fake: SipHash-1-3 (the variant Rust's HashMap uses; SipHash-2-4
 * with fewer rounds) under a 128-bit key derived from the secret. The hot path, {@link prfHash}, runs it in
 * WebAssembly over UTF-8 bytes (wasm/siphash.wat); {@link sipHash} is the same function in plain JavaScript over
 * UTF-16LE bytes, written with 32-bit halves so it needs neither BigInt nor a native module (used to derive
 * per-domain keys, for text WebAssembly is not given, and to check the reference vectors). Both are many times
 * cheaper per call than Node's HMAC, which is what makes deterministic fakes affordable at millions per second.
 */

/** A 128-bit SipHash key as four 32-bit words (k0 lo, k0 hi, k1 lo, k1 hi). */
export type PrfKey = readonly [number, number, number, number];

/**
 * Derives the 128-bit key from the user's secret (HMAC-SHA256, so a short secret still spreads over the key).
 *
 * @example const key = deriveKey("s3cret");
 */
export function deriveKey(secret: string): PrfKey {
  const d = createHmac("sha256", secret).update("odoo-deploy/anonymizer/v2").digest();
  return [d.readUInt32LE(0), d.readUInt32LE(4), d.readUInt32LE(8), d.readUInt32LE(12)];
}

/**
 * The key of one strategy domain (`email:example.com`, `name:fr`), derived from the master key with the PRF
 * itself: values are then hashed alone, and equal values in different domains still get unrelated fakes.
 *
 * @example const k = domainKey(deriveKey("s3cret"), "email:example.com");
 */
export function domainKey(key: PrfKey, domain: string): PrfKey {
  const a = sipHash(key, `${domain}\u0000k0`, 2, 4);
  const b = lastHigh();
  const c = sipHash(key, `${domain}\u0000k1`, 2, 4);
  return [a, b, c, lastHigh()];
}

let outHi = 0;

/**
 * SipHash-c-d (default 1-3; 2-4 for the reference test vectors) of `text` (as UTF-16LE bytes) under `key`;
 * returns the low 32 bits, the high ones are read with
 * {@link lastHigh}. Returning plain numbers keeps the hot path free of allocations; the state lives in local
 * variables as (lo, hi) pairs because V8 keeps those in registers.
 *
 * @example const lo = sipHash(key, "john@example.com"); const hi = lastHigh();
 */
export function sipHash(key: PrfKey, text: string, cRounds = 1, dRounds = 3): number {
  // v0 = k0 ^ "somepseu", v1 = k1 ^ "dorandom", v2 = k0 ^ "lygenera", v3 = k1 ^ "tedbytes"
  let v0l = (key[0] ^ 0x70736575) | 0, v0h = (key[1] ^ 0x736f6d65) | 0;
  let v1l = (key[2] ^ 0x6e646f6d) | 0, v1h = (key[3] ^ 0x646f7261) | 0;
  let v2l = (key[0] ^ 0x6e657261) | 0, v2h = (key[1] ^ 0x6c796765) | 0;
  let v3l = (key[2] ^ 0x79746573) | 0, v3h = (key[3] ^ 0x74656462) | 0;
  let t = 0, l = 0, ml = 0, mh = 0, rounds = cRounds;
  const n = text.length;
  const full = n - (n & 3);
  const words = full >> 2; // whole 8-byte words; then the final word, then finalization
  for (let w = 0; w <= words + 1; w++) {
    if (w < words) {
      const i = w << 2;
      ml = (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16)) | 0;
      mh = (text.charCodeAt(i + 2) | (text.charCodeAt(i + 3) << 16)) | 0;
    } else if (w === words) {
      const rem = n - full;
      ml = rem > 0 ? text.charCodeAt(full) : 0;
      if (rem > 1) ml = (ml | (text.charCodeAt(full + 1) << 16)) | 0;
      mh = ((rem > 2 ? text.charCodeAt(full + 2) : 0) | (((n * 2) & 0xff) << 24)) | 0;
    } else {
      ml = 0;
      mh = 0;
      v2l = (v2l ^ 0xff) | 0;
      rounds = dRounds;
    }
    v3l = (v3l ^ ml) | 0;
    v3h = (v3h ^ mh) | 0;
    for (let k = 0; k < rounds; k++) {
      // v0 += v1; v1 = rotl(v1,13); v1 ^= v0; v0 = rotl(v0,32)
      l = (v0l + v1l) | 0; v0h = (v0h + v1h + ((l >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = l;
      t = v1l; v1l = ((v1l << 13) | (v1h >>> 19)) | 0; v1h = ((v1h << 13) | (t >>> 19)) | 0;
      v1l = (v1l ^ v0l) | 0; v1h = (v1h ^ v0h) | 0;
      t = v0l; v0l = v0h; v0h = t;
      // v2 += v3; v3 = rotl(v3,16); v3 ^= v2
      l = (v2l + v3l) | 0; v2h = (v2h + v3h + ((l >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = l;
      t = v3l; v3l = ((v3l << 16) | (v3h >>> 16)) | 0; v3h = ((v3h << 16) | (t >>> 16)) | 0;
      v3l = (v3l ^ v2l) | 0; v3h = (v3h ^ v2h) | 0;
      // v0 += v3; v3 = rotl(v3,21); v3 ^= v0
      l = (v0l + v3l) | 0; v0h = (v0h + v3h + ((l >>> 0) < (v0l >>> 0) ? 1 : 0)) | 0; v0l = l;
      t = v3l; v3l = ((v3l << 21) | (v3h >>> 11)) | 0; v3h = ((v3h << 21) | (t >>> 11)) | 0;
      v3l = (v3l ^ v0l) | 0; v3h = (v3h ^ v0h) | 0;
      // v2 += v1; v1 = rotl(v1,17); v1 ^= v2; v2 = rotl(v2,32)
      l = (v2l + v1l) | 0; v2h = (v2h + v1h + ((l >>> 0) < (v2l >>> 0) ? 1 : 0)) | 0; v2l = l;
      t = v1l; v1l = ((v1l << 17) | (v1h >>> 15)) | 0; v1h = ((v1h << 17) | (t >>> 15)) | 0;
      v1l = (v1l ^ v2l) | 0; v1h = (v1h ^ v2h) | 0;
      t = v2l; v2l = v2h; v2h = t;
    }
    v0l = (v0l ^ ml) | 0;
    v0h = (v0h ^ mh) | 0;
  }
  outHi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  return (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

// SipHash-1-3 in WebAssembly (wasm/siphash.wat): native 64-bit arithmetic, several times faster than the
// 32-bit-halves version above on anything longer than a few characters.
// (The WebAssembly JS API, typed here: this project's TypeScript libs do not include it.)
interface WasmMemory {
  buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => {
    exports: {
      sip: (key: number, msg: number, len: number) => number;
      sipn: (key: number, msg: number, len: number, mode: number, scratch: number) => number;
      ascii: (at: number, len: number) => number;
      has2: (at: number, len: number, a: number, b: number) => number;
      words: (at: number, len: number, out: number, cap: number, a: number, b: number, c: number, d: number, table: number, html: number) => number;
      assemble: (ops: number, n: number, out: number) => number;
      header: (at: number, len: number, res: number) => number;
      memory: WasmMemory;
    };
  };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
const wasm = new Instance(new Module(Buffer.from(SIPHASH_WASM_BASE64, "base64")));
const wasmSip = wasm.exports.sip;
const wasmSipn = wasm.exports.sipn;
const wasmAscii = wasm.exports.ascii;
const wasmWords = wasm.exports.words;
const wasmHas2 = wasm.exports.has2;
const wasmAssemble = wasm.exports.assemble;
const wasmHeader = wasm.exports.header;
const wasmMemory = wasm.exports.memory;
const KEY_AT = 16; // the key: 16 bytes at 16; the result: 8 bytes at 0
const HEADER_AT = 32; // what `header` finds: four i32
const STAGED_AT = 64; // bytes staged by stageBytes, and their normalized copy after them
const MAX_STAGED = 16 * 1024;
const CHUNK_AT = STAGED_AT + 2 * MAX_STAGED; // the chunk staged by stageChunk
// COPY data arrives in chunks of 8 to 64 KiB (measured: median 8 KiB); bigger runs (long rows) are staged field
// by field.
const MAX_CHUNK = 1024 * 1024;
const LOREM_AT = CHUNK_AT + MAX_CHUNK; // the lorem words of replaceStagedWords, by length
const LOREM_BYTES = 4096;
// the output of replaceStagedWords: lorem words may be a little longer than the words they replace
const WORDS_OUT_AT = LOREM_AT + LOREM_BYTES;
const WORDS_OUT_BYTES = 2 * MAX_STAGED + 1024;
// Rows written with the out* functions (see outBegin): what to copy (OPS, pairs of i32), the new values (FAKES),
// and the rows assembled from both (OUT, plus the 8 bytes `assemble` may write past their end).
const OPS_AT = WORDS_OUT_AT + WORDS_OUT_BYTES;
const MAX_OPS = 8192;
const FAKES_AT = OPS_AT + 8 * MAX_OPS;
const FAKES_BYTES = 256 * 1024;
const OUT_AT = FAKES_AT + FAKES_BYTES;
const OUT_BYTES = 256 * 1024;
const MSG_AT = OUT_AT + OUT_BYTES + 8; // the message bytes of prfHash
wasmMemory.grow(Math.ceil((MSG_AT + 65536 - wasmMemory.buffer.byteLength) / 65536));
let words = new Int32Array(wasmMemory.buffer);
let bytes = Buffer.from(wasmMemory.buffer);
let message = new Uint8Array(wasmMemory.buffer, MSG_AT);
const utf8 = new TextEncoder();
const LONG_TEXT = 1 << 20;

/**
 * The anonymizer's PRF: SipHash-1-3 of the UTF-8 bytes of `text` under `key` (of the UTF-16 bytes, with
 * {@link sipHash}, for text over 1 Mi characters or with lone surrogates); returns the low 32 bits, the high ones
 * are read with {@link lastHigh}.
 *
 * @example const lo = prfHash(key, "john@example.com"); const hi = lastHigh();
 */
export function prfHash(key: PrfKey, text: string): number {
  // Text the UTF-8 encoder would alter (lone surrogates become U+FFFD) or too long to copy into WebAssembly memory
  // cheaply is hashed as UTF-16 instead: still a pure function of the value.
  if (text.length > LONG_TEXT || !(text as unknown as { isWellFormed(): boolean }).isWellFormed()) return sipHash(key, text);
  if (text.length * 3 > message.length) {
    // UTF-8 takes at most 3 bytes per UTF-16 code unit.
    wasmMemory.grow(Math.ceil((text.length * 3 + MSG_AT - wasmMemory.buffer.byteLength) / 65536));
    words = new Int32Array(wasmMemory.buffer);
    bytes = Buffer.from(wasmMemory.buffer);
    message = new Uint8Array(wasmMemory.buffer, MSG_AT);
  }
  setKey(key);
  const { written } = utf8.encodeInto(text, message);
  const lo = wasmSip(KEY_AT, MSG_AT, written);
  outHi = words[1]! >>> 0;
  return lo >>> 0;
}

let keyInMemory: PrfKey | undefined;

function setKey(key: PrfKey): void {
  if (key === keyInMemory) return;
  words[KEY_AT >> 2] = key[0];
  words[(KEY_AT >> 2) + 1] = key[1];
  words[(KEY_AT >> 2) + 2] = key[2];
  words[(KEY_AT >> 2) + 3] = key[3];
  keyInMemory = key;
}

/**
 * How {@link prfHashStaged} normalizes the staged bytes first; each matches a string normalization of compile.ts.
 *
 * @example prfHashStaged(key, stageBytes(row, start, end), Normalize.digits) // as prfHash(key, "3225550102") for "+32 2 555 01 02"
 */
export const Normalize = {
  /** As they are. */
  none: 0,
  /** `value.trim().toLowerCase()`: ASCII only (other bytes make the hash fall back to the string). */
  lowerTrim: 1,
  /** The ASCII digits, or all bytes when there is none (phone numbers). */
  digits: 2,
} as const;
export type Normalize = (typeof Normalize)[keyof typeof Normalize];

/** Where the bytes {@link prfHashStaged} hashes start: STAGED_AT, or in the staged chunk. */
let stagedAt = STAGED_AT;
/** Counts {@link stageChunk} calls: which chunk is in WebAssembly memory. */
let chunkGeneration = 0;

/**
 * Copies the UTF-8 bytes of a value (a field of a COPY row) where {@link prfHashStaged} reads them; returns
 * their length, or -1 when there are too many (the string is hashed instead). Values sliced from a COPY chunk
 * are V8 "sliced strings", which encodeInto, trim and toLowerCase handle three to six times slower than flat
 * ones (measured here: encodeInto 300 ns against 95 on 40 characters): hashing the row's own bytes skips them.
 *
 * @example const n = stageBytes(chunk, start, end); if (n >= 0) prfHashStaged(key, n, Normalize.none);
 */
export function stageBytes(buf: Uint8Array, start: number, end: number): number {
  const n = end - start;
  if (n > MAX_STAGED) return -1;
  stagedAt = STAGED_AT;
  if (n <= 48) {
    // a short copy is cheaper as a loop than as a subarray view and a set
    for (let k = 0; k < n; k++) bytes[STAGED_AT + k] = buf[start + k]!;
  } else bytes.set(buf.subarray(start, end), STAGED_AT);
  return n;
}

/**
 * {@link prfHash} of the `length` bytes last staged by {@link stageBytes}, normalized by `normalize`: the same
 * result as `prfHash(key, normalized(string of those bytes))`. Returns -1 when the bytes need the string
 * normalization (non-ASCII with {@link Normalize.lowerTrim}, or any byte over 0x7f with `asciiOnly`: bytes not
 * known to be valid UTF-8); the high 32 bits are read with {@link lastHigh}.
 *
 * @example const lo = prfHashStaged(key, stageBytes(buf, s, e), Normalize.lowerTrim);
 */
export function prfHashStaged(key: PrfKey, length: number, normalize: Normalize, asciiOnly = false): number {
  setKey(key);
  if (wasmSipn(KEY_AT, stagedAt, length, asciiOnly ? normalize | 4 : normalize, STAGED_AT + MAX_STAGED) === 0) return -1;
  outHi = words[1]! >>> 0;
  return words[0]! >>> 0;
}

// Longer strings are hashed by prfHash of the normalized string: encodeInto copies long text faster than a loop.
const MAX_ASCII_LOOP = 256;

/**
 * {@link prfHash} of `text` normalized by `normalize`, for short ASCII text: its characters are written into
 * WebAssembly memory as bytes and normalized there ({@link prfHashStaged}), instead of building the normalized
 * string (trim, toLowerCase, a digits-only copy) and encoding it, slow on slices of a COPY chunk (the bench's
 * e-mail and phone fakes from strings went from 0.86 to 1.18 and from 0.74 to 1.38 million a second). Returns -1
 * for other text (the caller hashes the normalized string).
 *
 * @example prfHashAscii(key, " Jo@X.org", Normalize.lowerTrim) // as prfHash(key, "jo@x.org")
 */
export function prfHashAscii(key: PrfKey, text: string, normalize: Normalize): number {
  const n = text.length;
  if (n > MAX_ASCII_LOOP) return -1;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return -1;
    bytes[STAGED_AT + i] = c;
  }
  stagedAt = STAGED_AT;
  return prfHashStaged(key, n, normalize);
}

/**
 * Copies a whole chunk of COPY data into WebAssembly memory (one copy instead of one per hashed field), where
 * {@link chunkAscii} checks its fields and {@link stageFromChunk} stages them. Returns the chunk's generation,
 * to compare with {@link stagedChunk} before use (another chunk may have been staged since), or -1 when the
 * chunk is too big (then fields are checked and staged one by one).
 *
 * @example const g = stageChunk(buf); … if (stagedChunk() === g && chunkAscii(s, e)) stageFromChunk(s, e);
 */
export function stageChunk(buf: Uint8Array): number {
  if (buf.length > MAX_CHUNK) return -1;
  // rows being written copy from the chunk: they are assembled before it is replaced
  if (opCount) outFlush();
  bytes.set(buf, CHUNK_AT);
  return ++chunkGeneration;
}

/** The generation of the chunk in WebAssembly memory (see {@link stageChunk}). */
export function stagedChunk(): number {
  return chunkGeneration;
}

/** Whether bytes `start..end` of the staged chunk are all ASCII (eight bytes a step, in WebAssembly). */
export function chunkAscii(start: number, end: number): boolean {
  return wasmAscii(CHUNK_AT + start, end - start) === 1;
}

/** Whether bytes `start..end` of the staged chunk hold the byte `a` or the byte `b`. @example chunkHasEither(s, e, 0x3c, 0x2c) */
export function chunkHasEither(start: number, end: number, a: number, b: number): boolean {
  return wasmHas2(CHUNK_AT + start, end - start, a, b) === 1;
}

/**
 * Where the parts of the e-mail header found by {@link chunkHeader} lie in the staged chunk: the name's start
 * and end, 1 when it was quoted, and the offset of `<` (the address runs from there to the last byte, `>`).
 */
export const headerParts = new Int32Array(4);

/**
 * Whether bytes `start..start + length` of the staged chunk are one ASCII e-mail header `"Name" <address>` (or
 * `Name <address>`) that compile.ts's rewriteAddresses takes apart as its common form (in WebAssembly); then
 * {@link headerParts} says where its parts are.
 *
 * @example if (chunkHeader(s, n)) { const [nameStart, nameEnd, quoted, lt] = headerParts; … }
 */
export function chunkHeader(start: number, length: number): boolean {
  if (wasmHeader(CHUNK_AT + start, length, HEADER_AT) === 0) return false;
  const at = HEADER_AT >> 2;
  headerParts[0] = words[at]! - CHUNK_AT;
  headerParts[1] = words[at + 1]! - CHUNK_AT;
  headerParts[2] = words[at + 2]!;
  headerParts[3] = words[at + 3]! - CHUNK_AT;
  return true;
}

/** The string of bytes `start..end` of the staged chunk, a character a byte (latin1). */
export function chunkLatin1(start: number, end: number): string {
  if (end - start > 16) return bytes.toString("latin1", CHUNK_AT + start, CHUNK_AT + end);
  let s = "";
  for (let i = CHUNK_AT + start; i < CHUNK_AT + end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** {@link stageBytes} for bytes `start..end` of the staged chunk: nothing is copied. */
export function stageFromChunk(start: number, end: number): number {
  const n = end - start;
  if (n > MAX_STAGED) return -1;
  stagedAt = CHUNK_AT + start;
  return n;
}

let loremWritten = false;

/** Writes {@link LOREM_FOR_LENGTH} at LOREM_AT in the layout the WebAssembly `words` reads (see siphash.wat). */
function writeLoremTable(): void {
  const lists = LOREM_FOR_LENGTH;
  const last = lists.length - 1;
  let at = LOREM_AT + 4 + 12 * lists.length; // the words, after the header and the entries
  words[LOREM_AT >> 2] = last;
  lists.forEach((list, len) => {
    const wordLength = list[0]!.length;
    const entry = (LOREM_AT + 4 + 12 * len) >> 2;
    words[entry] = list.length;
    words[entry + 1] = wordLength;
    words[entry + 2] = at;
    for (const w of list) {
      // (the WebAssembly copies a word as 16 bytes)
      if (w.length !== wordLength || wordLength > 16 || NOT_LOWER_ASCII.test(w)) throw new Error(`lorem list ${len}: "${w}" is not ${wordLength} (at most 16) lowercase ASCII letters`);
      at += bytes.write(w, at, "latin1");
    }
  });
  if (at + 16 > LOREM_AT + LOREM_BYTES) throw new Error("the lorem words do not fit their WebAssembly region");
  loremWritten = true;
}
const NOT_LOWER_ASCII = /[^a-z]/;

/**
 * text.ts's replaceHtmlText (`html`) or replaceWords of the `length` bytes last staged by {@link stageBytes} or
 * {@link stageFromChunk}, drawing from `draw` as they do (its state is copied: `draw` itself does not move).
 * Computed in WebAssembly on the bytes: about a fifth of the JS version's time on a mail body. Returns undefined
 * when the JS version must run: bytes that are not ASCII, a tag holding an address, an output over its region.
 *
 * @example const out = replaceStagedWords(stageBytes(buf, s, e), draw.seed(lo, hi), true) ?? replaceHtmlText(v, draw.seed(lo, hi));
 */
export function replaceStagedWords(length: number, draw: Draw, html: boolean): string | undefined {
  if (!loremWritten) writeLoremTable();
  const n = wasmWords(stagedAt, length, WORDS_OUT_AT, WORDS_OUT_BYTES, draw.a, draw.b, draw.c, draw.d, LOREM_AT, html ? 1 : 0);
  return n < 0 ? undefined : bytes.toString("latin1", WORDS_OUT_AT, WORDS_OUT_AT + n);
}

// Rows assembled in WebAssembly memory (binary COPY format). A row is a list of copies: its untouched bytes from
// the staged chunk and its new values, whose strings are joined (a rope, no copy) and written into memory with one
// Buffer#write every few kilobytes; `assemble` then copies everything in order at OUT_AT, and `outSink` gets it.
// Building each row as a rope of slices of the chunk's string cost four or five strings a field, and writing new
// values one by one flattened each (most fakes are concatenations) in a call into V8's runtime.
let outSink: ((bytes: Uint8Array) => void) | undefined;
/** Copies pending, and the bytes they will write. */
let opCount = 0;
let outPending = 0;
/** Bytes of new values pending: `fakeRope` holds the last of them, not yet written at FAKES_AT + fakesWritten. */
let fakesLength = 0;
let fakesWritten = 0;
let fakeRope = "";
// The rope is written out at this length: one Buffer#write for many values, and a shallow rope to flatten.
const ROPE_BYTES = 8 * 1024;
/** The length of an op that writes a binary COPY NULL; the flag of one that writes a length prefix first. */
const NULL_OP = -1;
const PREFIXED = 0x40000000;

/**
 * Starts writing rows with {@link outRaw}, {@link outField}, {@link outBytes} and {@link outNull}. `sink` is
 * handed the bytes written so far (a view of WebAssembly memory: copy it during the call) whenever a region
 * fills, at {@link outFlush} and at {@link outEnd}. One writer at a time, until outEnd (before returning to the
 * event loop): returns false, and changes nothing, while another writes (a sink passing rows on may run another
 * transform at once).
 *
 * @example if (outBegin((b) => chunks.push(Buffer.from(b)))) { outRaw(0, 2); outField("abc"); outEnd(); }
 */
export function outBegin(sink: (bytes: Uint8Array) => void): boolean {
  if (outSink) return false;
  outReset();
  outSink = sink;
  return true;
}

/** Hands what is pending to the sink and stops (`discard`: drops it, after a failure). */
export function outEnd(discard = false): void {
  if (!discard) outFlush();
  outReset();
  outSink = undefined;
}

function outReset(): void {
  opCount = outPending = fakesLength = fakesWritten = 0;
  fakeRope = "";
}

/** Assembles what is pending and hands it to the sink. */
export function outFlush(): void {
  if (opCount === 0) return;
  if (fakeRope) writeRope();
  const end = wasmAssemble(OPS_AT, opCount, OUT_AT);
  outReset();
  outSink!(bytes.subarray(OUT_AT, end));
}

function writeRope(): void {
  fakesWritten += bytes.write(fakeRope, FAKES_AT + fakesWritten, "latin1");
  fakeRope = "";
}

/** Whether one more copy, writing `bytes` bytes of which `fake` from the new values, fits the regions. */
function fits(bytes: number, fake: number): boolean {
  return opCount < MAX_OPS && outPending + bytes <= OUT_BYTES && fakesLength + fake <= FAKES_BYTES;
}

function addOp(address: number, length: number): void {
  const at = (OPS_AT >> 2) + 2 * opCount++;
  words[at] = address;
  words[at + 1] = length;
}

/** Writes bytes `start..end` of the staged chunk (see {@link stageChunk}). */
export function outRaw(start: number, end: number): void {
  const n = end - start;
  if (n <= 0) return;
  if (!fits(n, 0)) {
    outFlush();
    if (n > OUT_BYTES) return outSink!(bytes.subarray(CHUNK_AT + start, CHUNK_AT + end));
  }
  addOp(CHUNK_AT + start, n);
  outPending += n;
}

/** Writes a binary COPY field holding the byte string `s` (each character a byte, below 0x100): its length, then `s`. */
export function outField(s: string): void {
  outValue(s, true);
}

/** Writes the byte string `s` (each character a byte, below 0x100). */
export function outBytes(s: string): void {
  outValue(s, false);
}

function outValue(s: string, prefixed: boolean): void {
  const n = s.length;
  const total = prefixed ? n + 4 : n;
  if (!fits(total, n)) {
    outFlush();
    if (total > OUT_BYTES || n > FAKES_BYTES) {
      if (prefixed) outSink!(Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]));
      return outSink!(Buffer.from(s, "latin1"));
    }
  }
  addOp(FAKES_AT + fakesLength, prefixed ? n | PREFIXED : n);
  outPending += total;
  fakesLength += n;
  fakeRope += s;
  if (fakeRope.length >= ROPE_BYTES) writeRope();
}

/** Writes a binary COPY NULL field (length -1). */
export function outNull(): void {
  if (!fits(4, 0)) outFlush();
  addOp(0, NULL_OP);
  outPending += 4;
}

/** High 32 bits of the last {@link sipHash} or {@link prfHash}. @example sipHash(key, "x"); const hi = lastHigh(); */
export function lastHigh(): number {
  return outHi;
}

/**
 * A small, fast generator (sfc32) seeded from one PRF output, for drawing several choices per value
 * (first name, last name, digits) at the cost of one keyed hash.
 *
 * @example const rng = new Draw(); rng.seed(lo, hi); rng.below(10);
 */
export class Draw {
  // The generator's state: public only for replaceStagedWords, which draws from a copy of it in WebAssembly.
  /** @internal */ a = 0;
  /** @internal */ b = 0;
  /** @internal */ c = 0;
  /** @internal */ d = 1;

  seed(lo: number, hi: number): this {
    this.a = lo | 0;
    this.b = hi | 0;
    this.c = (lo ^ 0x9e3779b9) | 0;
    this.d = 1;
    for (let i = 0; i < 4; i++) this.next();
    return this;
  }

  /** Next uint32. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** An integer in [0, n): the next uint32 modulo n. */
  below(n: number): number {
    if (n <= 1) return 0;
    const x = this.next();
    // A uint32 above 2^31 makes `x % n` a floating-point remainder (a call to fmod: 22 ns a below() here, 10 ns
    // split); split at 16 bits it is two integer remainders with the same result, exact while n <= 2^15:
    // x mod n = (((x >>> 16) mod n) * 2^16 + (x & 0xffff)) mod n, and that sum stays below 2^31.
    return n <= 32768 ? ((((x >>> 16) % n) << 16) | (x & 0xffff)) % n : x % n;
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}

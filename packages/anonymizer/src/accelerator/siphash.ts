/** A 128-bit SipHash key as four 32-bit words (k0 lo, k0 hi, k1 lo, k1 hi). */
export type PrfKey = readonly [number, number, number, number];

/** Where a 64-bit hash is written, as two unsigned 32-bit halves: the hot paths allocate nothing per value. */
export interface Hash64 {
  lo: number;
  hi: number;
}

/**
 * SipHash-c-d (default 1-3, the variant Rust's HashMap uses; 2-4 for the reference test vectors) of bytes
 * `start..end` of `m` under `key`, into `out`. The reference the WebAssembly version (arena.ts) must agree with;
 * written with 32-bit halves so it needs neither BigInt nor a native module.
 *
 * @example const h = { lo: 0, hi: 0 }; sipHashBytes(key, Buffer.from("john@example.com"), 0, 16, h);
 */
export function sipHashBytes(key: PrfKey, m: Uint8Array, start: number, end: number, out: Hash64, cRounds = 1, dRounds = 3): void {
  // v0 = k0 ^ "somepseu", v1 = k1 ^ "dorandom", v2 = k0 ^ "lygenera", v3 = k1 ^ "tedbytes"
  let v0l = (key[0] ^ 0x70736575) | 0, v0h = (key[1] ^ 0x736f6d65) | 0;
  let v1l = (key[2] ^ 0x6e646f6d) | 0, v1h = (key[3] ^ 0x646f7261) | 0;
  let v2l = (key[0] ^ 0x6e657261) | 0, v2h = (key[1] ^ 0x6c796765) | 0;
  let v3l = (key[2] ^ 0x79746573) | 0, v3h = (key[3] ^ 0x74656462) | 0;
  let t = 0, l = 0, ml = 0, mh = 0, rounds = cRounds;
  const n = end - start;
  const full = start + (n - (n & 7));
  const words = (n - (n & 7)) >> 3; // whole 8-byte words; then the final word, then finalization
  for (let w = 0; w <= words + 1; w++) {
    if (w < words) {
      const i = start + (w << 3);
      ml = m[i]! | (m[i + 1]! << 8) | (m[i + 2]! << 16) | (m[i + 3]! << 24);
      mh = m[i + 4]! | (m[i + 5]! << 8) | (m[i + 6]! << 16) | (m[i + 7]! << 24);
    } else if (w === words) {
      // the remaining bytes, and the length in the top byte
      ml = 0;
      mh = (n & 0xff) << 24;
      for (let r = 0; r < (n & 7); r++) {
        const b = m[full + r]!;
        if (r < 4) ml |= b << (8 * r);
        else mh |= b << (8 * (r - 4));
      }
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
  out.hi = (v0h ^ v1h ^ v2h ^ v3h) >>> 0;
  out.lo = (v0l ^ v1l ^ v2l ^ v3l) >>> 0;
}

/**
 * {@link sipHashBytes} of `text` as UTF-16LE bytes: how text the UTF-8 encoder would alter (lone surrogates) or
 * too long to encode cheaply is hashed, and how domain keys are derived.
 *
 * @example sipHash(key, "x\u0000k0", h, 2, 4);
 */
export function sipHash(key: PrfKey, text: string, out: Hash64, cRounds = 1, dRounds = 3): void {
  const bytes = Buffer.from(text, "utf16le");
  sipHashBytes(key, bytes, 0, bytes.length, out, cRounds, dRounds);
}

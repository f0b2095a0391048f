import { createHmac } from "node:crypto";
import { sipHash, sipHashBytes, type Hash64, type PrfKey } from "./siphash.js";

/**
 * The keyed pseudo-random function behind every fake, in plain JavaScript: SipHash-1-3 of a value's UTF-8 bytes
 * under a 128-bit key per strategy domain. The WebAssembly arena (arena.ts) computes the same function faster;
 * this is the reference it is tested against and what runs without one.
 */

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
 * The key of one strategy domain (`email:example.com`, `name:fr`), derived from the master key with SipHash-2-4:
 * values are then hashed alone, and equal values in different domains still get unrelated fakes.
 *
 * @example const k = domainKey(deriveKey("s3cret"), "email:example.com");
 */
export function domainKey(key: PrfKey, domain: string): PrfKey {
  const a: Hash64 = { lo: 0, hi: 0 };
  const b: Hash64 = { lo: 0, hi: 0 };
  sipHash(key, `${domain}\u0000k0`, a, 2, 4);
  sipHash(key, `${domain}\u0000k1`, b, 2, 4);
  return [a.lo, a.hi, b.lo, b.hi];
}

/** How a value is normalized before it is hashed (each has a byte version in the arena). */
export const Normalize = {
  /** As it is. */
  none: 0,
  /** `value.trim().toLowerCase()` (names, e-mails: case and surrounding space do not make another person). */
  lowerTrim: 1,
  /** The ASCII digits, or all of it when there is none (phone numbers). */
  digits: 2,
} as const;
export type Normalize = (typeof Normalize)[keyof typeof Normalize];

/** `text` normalized as `normalize` says. @example normalized(" Jo@X.org", Normalize.lowerTrim) // "jo@x.org" */
export function normalized(text: string, normalize: Normalize): string {
  if (normalize === Normalize.lowerTrim) return text.trim().toLowerCase();
  return normalize === Normalize.digits ? digitsOf(text) : text;
}

/** The ASCII digits of a phone number ("+32 2 555 01 02" → "3225550102"), or the value when it has none. */
function digitsOf(v: string): string {
  let out = "";
  let run = -1; // start of the current run of digits
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      if (run < 0) run = i;
    } else if (run >= 0) {
      out += v.slice(run, i);
      run = -1;
    }
  }
  if (run === 0) return v; // digits only
  if (run > 0) out += v.slice(run);
  return out || v;
}

/** Text of more characters than this is hashed as UTF-16: copying it as UTF-8 would cost more than it saves. */
export const LONG_TEXT = 1 << 20;

const utf8 = new TextEncoder();
// Where prfHash writes a value's bytes: only during one call, so nothing is carried from one value to the next.
let scratch = new Uint8Array(4096);

/**
 * Whether `text` is hashed as its UTF-8 bytes: the UTF-8 encoder would alter lone surrogates (into U+FFFD),
 * so such text, and text over {@link LONG_TEXT} characters, is hashed as UTF-16 instead (still a pure function
 * of the value).
 */
export function hashedAsUtf8(text: string): boolean {
  return text.length <= LONG_TEXT && (text as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * The anonymizer's PRF of `text` (already normalized) under `key`, into `out`.
 *
 * @example const h = { lo: 0, hi: 0 }; prfHash(key, "john@example.com", h);
 */
export function prfHash(key: PrfKey, text: string, out: Hash64): void {
  if (!hashedAsUtf8(text)) return sipHash(key, text, out);
  const n = text.length;
  if (n * 3 > scratch.length) scratch = new Uint8Array(n * 3);
  // Short ASCII text is copied a character a byte: cheaper than the encoder on strings sliced from a chunk.
  let ascii = n <= 256;
  for (let i = 0; ascii && i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) ascii = false;
    else scratch[i] = c;
  }
  sipHashBytes(key, scratch, 0, ascii ? n : utf8.encodeInto(text, scratch).written, out);
}

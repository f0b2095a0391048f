import { expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { Arena } from "./arena.js";
import { Draw } from "./draw.js";
import { Normalize, prfHash } from "./prf.js";
import { sipHash, type Hash64, type PrfKey } from "./siphash.js";

const arena = new Arena();
const h: Hash64 = { lo: 0, hi: 0 };
/** A hash as a bigint, from `h` after `fn` wrote it. */
const big = (fn: () => unknown) => (fn(), (BigInt(h.hi) << 32n) | BigInt(h.lo));

// Reference SipHash-2-4 over bytes with BigInt (slow, obviously correct), to check the 32-bit implementation.
const M = (1n << 64n) - 1n;
const rotl = (x: bigint, b: number) => ((x << BigInt(b)) | (x >> BigInt(64 - b))) & M;
function reference(key: Buffer, bytes: Buffer, c = 2, d = 4): bigint {
  const k0 = key.readBigUInt64LE(0);
  const k1 = key.readBigUInt64LE(8);
  let v0 = k0 ^ 0x736f6d6570736575n, v1 = k1 ^ 0x646f72616e646f6dn, v2 = k0 ^ 0x6c7967656e657261n, v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & M; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);
    v2 = (v2 + v3) & M; v3 = rotl(v3, 16); v3 ^= v2;
    v0 = (v0 + v3) & M; v3 = rotl(v3, 21); v3 ^= v0;
    v2 = (v2 + v1) & M; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);
  };
  const end = bytes.length - (bytes.length % 8);
  for (let i = 0; i < end; i += 8) {
    const m = bytes.readBigUInt64LE(i);
    v3 ^= m; for (let r = 0; r < c; r++) round(); v0 ^= m;
  }
  let b = BigInt(bytes.length & 0xff) << 56n;
  for (let i = 0; i < bytes.length % 8; i++) b |= BigInt(bytes[end + i]!) << BigInt(8 * i);
  v3 ^= b; for (let r = 0; r < c; r++) round(); v0 ^= b;
  v2 ^= 0xffn; for (let r = 0; r < d; r++) round();
  return (v0 ^ v1 ^ v2 ^ v3) & M;
}

test("sipHash is SipHash-c-d over UTF-16LE bytes (official 2-4 vector, BigInt reference for 2-4 and 1-3)", () => {
  const kb = Buffer.from([...Array(16).keys()]);
  const key: PrfKey = [kb.readUInt32LE(0), kb.readUInt32LE(4), kb.readUInt32LE(8), kb.readUInt32LE(12)];
  // Official test vector for the empty message under key 00..0f.
  expect(reference(kb, Buffer.alloc(0))).toBe(0x726fdb47dd0e0e31n);
  for (const s of ["", "a", "ab", "abc", "abcd", "abcde", "héllo wörld €", "x".repeat(33), "john.smith@example.com", "🎉漢字"]) {
    for (const [c, d] of [[2, 4], [1, 3]] as const) {
      const got = big(() => sipHash(key, s, h, c, d));
      expect(got.toString(16), `${s} ${c}-${d}`).toBe(reference(kb, Buffer.from(s, "utf16le"), c, d).toString(16));
    }
  }
});

test("prfHash is SipHash-1-3 over UTF-8 bytes, in JavaScript and in the arena, for short, long and non-ASCII text", () => {
  const kb = Buffer.from([...Array(16).keys()].map((i) => i * 7 + 3));
  const key: PrfKey = [kb.readUInt32LE(0), kb.readUInt32LE(4), kb.readUInt32LE(8), kb.readUInt32LE(12)];
  for (const s of ["", "a", "abcdefg", "abcdefgh", "abcdefghi", "héllo wörld €", "🎉漢字", "x".repeat(1000), "é".repeat(50_000)]) {
    const want = reference(kb, Buffer.from(s, "utf8"), 1, 3).toString(16);
    expect(big(() => prfHash(key, s, h)).toString(16), s.slice(0, 20)).toBe(want);
    const bytes = Buffer.from(s, "utf8");
    if (bytes.length <= 16 * 1024) expect(big(() => arena.hashStaged(key, arena.stageBytes(bytes, 0, bytes.length), Normalize.none, h)).toString(16), s.slice(0, 20)).toBe(want);
  }
});

test("the embedded WebAssembly is compiled from siphash.wat and text.wat", async () => {
  const { compileWat, WASM_MODULES } = await import("../../scripts/compile-wat.js");
  for (const { name, constant } of WASM_MODULES) {
    const wat = readFileSync(new URL(`./wasm/${name}.wat`, import.meta.url), "utf8");
    expect(readFileSync(new URL(`./wasm/${name}-wasm.ts`, import.meta.url), "utf8"), name).toBe(await compileWat(wat, name, constant));
  }
});

test("hashStaged on a value's bytes (copied, or where they lie in a staged chunk) equals prfHash of its normalized string, or refuses", () => {
  const key: PrfKey = [0x01234567, 0x89abcdef, 0x0badf00d, 0x7e57ab1e];
  const forms = {
    [Normalize.none]: (v: string) => v,
    [Normalize.lowerTrim]: (v: string) => v.trim().toLowerCase(),
    [Normalize.digits]: (v: string) => v.replace(/[^0-9]/g, "") || v,
  };
  const values = ["", " ", "John.Smith@Example.COM", " \t\n jane@x.org \r\v\f", "+32 (2) 555-01.02", "no digits", "12345678901234567890",
    "Zoë Müller", "  ÉMILE@école.fr ", "日本 03-1234-5678", "x".repeat(5000), "AB".repeat(9000)];
  // a field in the middle of a row, as the engine stages it
  for (const [v, inChunk] of values.flatMap((v) => [[v, false], [v, true]] as const)) {
    const row = Buffer.concat([Buffer.from("id\t"), Buffer.from(v, "utf8"), Buffer.from("\tmore\n")]);
    if (inChunk) expect(arena.stageChunk(row)).toBe(true);
    const n = inChunk ? arena.stageFromChunk(3, 3 + Buffer.byteLength(v)) : arena.stageBytes(row, 3, 3 + Buffer.byteLength(v));
    if (Buffer.byteLength(v) > 16 * 1024) {
      expect(n, "too long to stage").toBe(-1);
      continue;
    }
    expect(n).toBe(Buffer.byteLength(v));
    for (const mode of [Normalize.none, Normalize.lowerTrim, Normalize.digits]) {
      const ok = arena.hashStaged(key, n, mode, h);
      if (mode === Normalize.lowerTrim && Buffer.byteLength(v) !== v.length) {
        expect(ok, `${v} refused: the string form lowercases more than ASCII`).toBe(false);
        continue;
      }
      const got = [h.lo, h.hi];
      // asciiOnly (bytes read without their string): the same hash for ASCII, refused for anything else
      const ascii = Buffer.byteLength(v) === v.length;
      expect(arena.hashStaged(key, n, mode, h, true), `${JSON.stringify(v.slice(0, 30))} asciiOnly`).toBe(ascii);
      if (ascii) expect([h.lo, h.hi]).toEqual(got);
      prfHash(key, forms[mode](v), h);
      expect(got, `${JSON.stringify(v.slice(0, 30))} mode ${mode}`).toEqual([h.lo, h.hi]);
    }
  }
});

test("chunkAscii finds a byte over 0x7f at any offset and alignment; a chunk too big is not staged", () => {
  const chunk = Buffer.alloc(300, 0x61);
  arena.stageChunk(chunk);
  for (let start = 0; start < 20; start++) for (let end = start; end < start + 40; end++) expect(arena.chunkAscii(start, end)).toBe(true);
  for (const high of [0x80, 0xc3, 0xff]) {
    for (let at = 0; at < 40; at++) {
      chunk.fill(0x7f);
      chunk[at] = high;
      arena.stageChunk(chunk);
      for (let start = 0; start < 12; start++) {
        for (let end = start; end < 48; end++) expect(arena.chunkAscii(start, end), `byte ${high} at ${at}, ${start}..${end}`).toBe(!(at >= start && at < end));
      }
    }
  }
  expect(arena.stageChunk(Buffer.alloc(2 * 1024 * 1024))).toBe(false);
});

test("Draw.below is the next uint32 modulo n, for every size of n and draws on both sides of 2^31", () => {
  const sizes = [2, 3, 7, 10, 36, 1000, 1296, 9999, 10_000, 32_767, 32_768, 32_769, 65_536, 1_000_003, 2 ** 31 + 11, 2 ** 32 - 1];
  let high = 0;
  for (let s = 0; s < 2000; s++) {
    const a = new Draw().seed(s * 2654435761, s);
    const b = new Draw().seed(s * 2654435761, s);
    for (const n of sizes) {
      const x = b.next();
      if (x >= 2 ** 31) high++;
      expect(a.below(n)).toBe(x % n);
    }
  }
  // Draws above 2^31, where the integer split matters, were among those checked.
  expect(high).toBeGreaterThan(10_000);
  expect(new Draw().seed(1, 2).below(1)).toBe(0);
});

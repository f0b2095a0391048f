import { expect, test } from "vitest";
import { readFileSync } from "node:fs";
import { chunkAscii, chunkHeader, Draw, headerParts, lastHigh, Normalize, outBegin, outBytes, outEnd, outField, outFlush, outNull, outRaw, prfHash, prfHashAscii, prfHashStaged, replaceStagedWords, sipHash, stageBytes, stageChunk, stagedChunk, stageFromChunk, type PrfKey } from "./prf.js";
import { NON_ASCII, replaceHtmlText, replaceWords } from "./text.js";

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
      const lo = sipHash(key, s, c, d);
      const got = (BigInt(lastHigh()) << 32n) | BigInt(lo);
      expect(got.toString(16), `${s} ${c}-${d}`).toBe(reference(kb, Buffer.from(s, "utf16le"), c, d).toString(16));
    }
  }
});

test("prfHash is SipHash-1-3 over UTF-8 bytes (WebAssembly), for short, long and non-ASCII text", () => {
  const kb = Buffer.from([...Array(16).keys()].map((i) => i * 7 + 3));
  const key: PrfKey = [kb.readUInt32LE(0), kb.readUInt32LE(4), kb.readUInt32LE(8), kb.readUInt32LE(12)];
  for (const s of ["", "a", "abcdefg", "abcdefgh", "abcdefghi", "héllo wörld €", "🎉漢字", "x".repeat(1000), "é".repeat(50_000)]) {
    const lo = prfHash(key, s);
    const got = (BigInt(lastHigh()) << 32n) | BigInt(lo);
    expect(got.toString(16), s.slice(0, 20)).toBe(reference(kb, Buffer.from(s, "utf8"), 1, 3).toString(16));
  }
});

test("the embedded WebAssembly is compiled from siphash.wat", async () => {
  const { compileWat } = await import("../../scripts/compile-wat.js");
  const wat = readFileSync(new URL("./wasm/siphash.wat", import.meta.url), "utf8");
  expect(readFileSync(new URL("./wasm/siphash-wasm.ts", import.meta.url), "utf8")).toBe(await compileWat(wat));
});

test("prfHashStaged on a value's bytes (copied, or where they lie in a staged chunk) equals prfHash of its normalized string, or refuses (-1)", () => {
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
    if (inChunk) expect(stageChunk(row)).toBe(stagedChunk());
    const n = inChunk ? stageFromChunk(3, 3 + Buffer.byteLength(v)) : stageBytes(row, 3, 3 + Buffer.byteLength(v));
    if (Buffer.byteLength(v) > 16 * 1024) {
      expect(n, "too long to stage").toBe(-1);
      continue;
    }
    expect(n).toBe(Buffer.byteLength(v));
    for (const mode of [Normalize.none, Normalize.lowerTrim, Normalize.digits]) {
      const lo = prfHashStaged(key, n, mode);
      if (mode === Normalize.lowerTrim && Buffer.byteLength(v) !== v.length) {
        expect(lo, `${v} refused: the string form lowercases more than ASCII`).toBe(-1);
        continue;
      }
      const hi = lastHigh();
      expect([lo, hi], `${JSON.stringify(v.slice(0, 30))} mode ${mode}`).toEqual([prfHash(key, forms[mode](v)), lastHigh()]);
    }
  }
  // The same from strings: short ASCII text is hashed by prfHashAscii, the rest refused (-1).
  let ascii = 0;
  for (const v of [...values, " A\u0001b ", "\u007f", "x".repeat(256), "x".repeat(257)]) {
    for (const mode of [Normalize.none, Normalize.lowerTrim, Normalize.digits]) {
      const lo = prfHashAscii(key, v, mode);
      if (v.length > 256 || NON_ASCII.test(v)) {
        expect(lo, `${JSON.stringify(v.slice(0, 30))} refused`).toBe(-1);
        continue;
      }
      ascii++;
      const hi = lastHigh();
      expect([lo, hi], `${JSON.stringify(v.slice(0, 30))} mode ${mode}, from the string`).toEqual([prfHash(key, forms[mode](v)), lastHigh()]);
    }
  }
  expect(ascii).toBeGreaterThan(20);
});

test("chunkAscii finds a byte over 0x7f at any offset and alignment; a chunk too big is not staged; generations tell chunks apart", () => {
  const chunk = Buffer.alloc(300, 0x61);
  const g = stageChunk(chunk);
  for (let start = 0; start < 20; start++) for (let end = start; end < start + 40; end++) expect(chunkAscii(start, end)).toBe(true);
  for (const high of [0x80, 0xc3, 0xff]) {
    for (let at = 0; at < 40; at++) {
      chunk.fill(0x7f);
      chunk[at] = high;
      stageChunk(chunk);
      for (let start = 0; start < 12; start++) {
        for (let end = start; end < 48; end++) expect(chunkAscii(start, end), `byte ${high} at ${at}, ${start}..${end}`).toBe(!(at >= start && at < end));
      }
    }
  }
  const last = stagedChunk();
  expect(last).toBeGreaterThan(g);
  expect(stageChunk(Buffer.alloc(2 * 1024 * 1024))).toBe(-1);
  expect(stagedChunk(), "a refused chunk leaves the staged one in place").toBe(last);
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

test("replaceStagedWords (WebAssembly) builds the same text as replaceHtmlText and replaceWords, and leaves to them only what it must", () => {
  // Random HTML-like text from pieces that exercise every branch: words of every length (capitals, digits),
  // entities and lone "&", tags, comments and unclosed ones, tags holding addresses.
  const pieces = ["a", "Ab", "x9", "42", "Hello", "WORLD", "reprehenderitus", "Supercalifragilistic", "q".repeat(40), " ", "  ", "\n", "\t", ".", ",", "!?",
    "'", '"', "(", ")", "-", "/", "_", "&amp;", "&#39;", "&nbsp;", "&x", "& ", "&;", "&#;", "&", ";", "<p>", "</p>", "<b>", "<br/>",
    '<a href="https://example.com/x?y=1">', '<span style="color: red">', "<!-- note -->", "<!---->", "<!-->", "<!--", "-->", "<", ">", "<>",
    "a@b.c", "mailto:", '<a href="mailto:jo@x.org">', '<a href="tel:+3225550102">', '<img src="x@y.z">', "<MAILTO:x>", "<a title='tel'>"];
  const addressTag = (t: string) => {
    // the JS version rewrites a tag's attributes when it holds one of these (text.ts ADDRESS_IN_TAG)
    for (let lt = t.indexOf("<"); lt !== -1; lt = t.indexOf("<", lt + 1)) {
      const gt = t.startsWith("<!--", lt) && t.indexOf("-->", lt + 4) !== -1 ? -1 : t.indexOf(">", lt + 1);
      if (gt !== -1 && /mailto:|tel:|@/.test(t.slice(lt, gt + 1))) return true;
    }
    return false;
  };
  const pick = new Draw().seed(7, 11);
  let inWasm = 0;
  let left = 0;
  for (let k = 0; k < 3000; k++) {
    let text = "";
    const n = pick.below(30);
    for (let i = 0; i < n; i++) text += pieces[pick.below(pieces.length)];
    const html = k % 3 !== 0;
    const row = Buffer.from(`id\t${text}\tmore`, "latin1");
    // staged both ways, as the engine stages fields
    const staged = k % 2 === 0 ? stageBytes(row, 3, 3 + text.length) : (stageChunk(row), stageFromChunk(3, 3 + text.length));
    expect(staged).toBe(text.length);
    const out = replaceStagedWords(staged, new Draw().seed(k, ~k), html);
    const expected = html ? replaceHtmlText(text, new Draw().seed(k, ~k)) : replaceWords(text, new Draw().seed(k, ~k));
    if (out === undefined) {
      left++;
      expect(html && addressTag(text), `left to JS without a tag holding an address: ${JSON.stringify(text)}`).toBe(true);
    } else {
      inWasm++;
      expect(out, `${html ? "html" : "words"} ${JSON.stringify(text)}`).toBe(expected);
    }
  }
  // Most texts were rewritten in WebAssembly, and the address tags were left to JS.
  expect(inWasm).toBeGreaterThan(1500);
  expect(left).toBeGreaterThan(100);
  // Bytes that are not ASCII are left to JS (the staged bytes of the engine are ASCII; a check all the same).
  const utf8 = Buffer.from("id\tZoë et <b>Chloé</b>\tmore", "utf8");
  expect(replaceStagedWords(stageBytes(utf8, 3, utf8.length - 5), new Draw().seed(1, 2), true)).toBeUndefined();
  // The caller's draw does not move.
  const d = new Draw().seed(3, 4);
  const before = [d.a, d.b, d.c, d.d];
  const plain = Buffer.from("Some words here");
  replaceStagedWords(stageBytes(plain, 0, plain.length), d, false);
  expect([d.a, d.b, d.c, d.d]).toEqual(before);
});

test("rows written with the out functions are the bytes asked for, in order, across full regions, huge pieces and a chunk staged anew", () => {
  // A little generator of its own (xorshift32: the low bits of a linear congruential one repeat every 2^16
  // draws, and the two chunks would hold the same bytes), so the test is the same on every run.
  let seed = 7;
  const rand = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const latin1 = (n: number) => Array.from({ length: n }, () => String.fromCharCode(rand(256))).join("");
  const prefix = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff]);
  const chunks = [Buffer.from(latin1(64 * 1024), "latin1"), Buffer.from(latin1(900 * 1024), "latin1")];
  const got: Buffer[] = [];
  const expected: Buffer[] = [];
  let sinks = 0;
  outBegin((b) => (sinks++, got.push(Buffer.from(b))));
  for (const [round, chunk] of chunks.entries()) {
    stageChunk(chunk);
    // 30000 pieces: over the 8192 copies a batch holds; values up to 300 KiB and a raw run of 400 KiB: over the
    // regions (256 KiB each), so they are handed on directly.
    for (let k = 0; k < 30000; k++) {
      const kind = rand(4);
      const big = rand(5000) === 0;
      if (kind === 0) {
        const start = rand(chunk.length);
        const end = Math.min(chunk.length, start + (big && round === 1 ? 400 * 1024 : rand(300)));
        outRaw(start, end);
        expected.push(chunk.subarray(start, end));
      } else if (kind === 3) {
        outNull();
        expected.push(Buffer.from([0xff, 0xff, 0xff, 0xff]));
      } else {
        const s = latin1(big ? 300 * 1024 : rand(100));
        if (kind === 1) {
          outField(s);
          expected.push(prefix(s.length));
        } else outBytes(s);
        expected.push(Buffer.from(s, "latin1"));
      }
    }
    // the next chunk replaces this one while copies from it are pending: they are assembled first
  }
  outFlush();
  outRaw(0, 5); // after a flush, more rows
  expected.push(chunks[1]!.subarray(0, 5));
  outEnd();
  expect(Buffer.concat(got).equals(Buffer.concat(expected))).toBe(true);
  expect(sinks, "regions filled and were handed on many times").toBeGreaterThan(20);

  // Discarded after a failure: nothing reaches the sink.
  const dropped: Buffer[] = [];
  expect(outBegin((b) => dropped.push(Buffer.from(b)))).toBe(true);
  expect(outBegin(() => {}), "one writer at a time").toBe(false);
  outField("abc");
  outEnd(true);
  expect(dropped).toEqual([]);
});

test("chunkHeader finds the parts of an e-mail header exactly where rewriteAddresses' common form has them, and nothing else", () => {
  // The string version: rewriteAddresses' ONE_ADDRESS, trim and quotes (compile.ts), here with offsets.
  const ONE_ADDRESS = /^([^<>,]+)<([^<>,]*)>$/;
  const lead = (s: string) => s.length - s.trimStart().length;
  const expectedParts = (v: string): number[] | undefined => {
    if (!Buffer.from(v).every((b) => b < 0x80) || !v.includes("@")) return undefined;
    const one = ONE_ADDRESS.exec(v);
    if (!one) return undefined;
    let name = one[1]!.trim();
    let at = lead(one[1]!);
    const quoted = name.length >= 2 && name.startsWith('"') && name.endsWith('"');
    if (quoted) {
      const inner = name.slice(1, -1);
      name = inner.trim();
      at += 1 + lead(inner);
    }
    if (!name || name.includes('"')) return undefined;
    return [at, at + name.length, quoted ? 1 : 0, one[1]!.length];
  };
  let seed = 11;
  const pick = <T>(items: T[]) => items[((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % items.length]!;
  // Every other value from pieces of the common form only (white space of every kind, quoted or not), the others
  // from all pieces, most of which break the form somewhere.
  const spaces = ["", " ", "  ", "\t", "\v", "\f", "\r\n"];
  const names = ["Jane Doe", "J", " x ", "a@b"];
  const addresses = ["jane@example.com", "", "j@x"];
  const allSpaces = [...spaces, "\u00a0"];
  const allNames = [...names, "", '"', '""', '"Jane"', 'Ja"ne', "Doe, Jane", "Zoë", "x>y", "x<y"];
  const allAddresses = [...addresses, "jane", "a@b,c@d", "a@b>", "<a@b", "é@x.org"];
  const values: string[] = [];
  for (let k = 0; k < 4000; k++) {
    const common = k % 2 === 0;
    const space = () => pick(common ? spaces : allSpaces);
    const q = pick(["", '"']);
    const close = common ? q : pick([q, "", '"']);
    const address = pick(common ? addresses : allAddresses);
    const name = pick(common ? names : allNames);
    values.push(space() + q + space() + name + space() + close + space() + "<" + (common && !/@/.test(name + address) ? "x@y" : address) + (common ? ">" : pick([">", ">", "", "> ", ">x"])));
  }
  let found = 0;
  for (const v of values) {
    const bytes = Buffer.from(`::${v}::`, "utf8");
    stageChunk(bytes);
    const want = expectedParts(v);
    const length = bytes.length - 4;
    expect(chunkHeader(2, length), JSON.stringify(v)).toBe(want !== undefined);
    if (want) {
      found++;
      expect([...headerParts].map((x, i) => (i === 2 ? x : x - 2)), JSON.stringify(v)).toEqual(want);
    }
  }
  expect(found, "many headers of every kind are found").toBeGreaterThan(1800);
  expect(values.length - found, "and many are not").toBeGreaterThan(1500);
});

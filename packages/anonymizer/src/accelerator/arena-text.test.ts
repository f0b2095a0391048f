import { expect, test } from "vitest";
import { LOREM_FOR_LENGTH, replaceHtmlText, replaceWords } from "../strategies/text.js";
import { Arena } from "./arena.js";
import { Draw } from "./draw.js";

// The text functions of the arena (text.wat) against their JS references, which the string paths run.
const arena = new Arena();

test("Arena.replaceWords (WebAssembly) builds the same text as replaceHtmlText and replaceWords, and leaves to them only what it must", () => {
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
    const staged = k % 2 === 0 ? arena.stageBytes(row, 3, 3 + text.length) : (arena.stageChunk(row), arena.stageFromChunk(3, 3 + text.length));
    expect(staged).toBe(text.length);
    const out = arena.replaceWords(staged, new Draw().seed(k, ~k), html, LOREM_FOR_LENGTH);
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
  expect(arena.replaceWords(arena.stageBytes(utf8, 3, utf8.length - 5), new Draw().seed(1, 2), true, LOREM_FOR_LENGTH)).toBeUndefined();
  // The caller's draw does not move.
  const d = new Draw().seed(3, 4);
  const before = [d.a, d.b, d.c, d.d];
  const plain = Buffer.from("Some words here");
  arena.replaceWords(arena.stageBytes(plain, 0, plain.length), d, false, LOREM_FOR_LENGTH);
  expect([d.a, d.b, d.c, d.d]).toEqual(before);
});

test("Arena.chunkHeader finds the parts of an e-mail header exactly where rewriteAddresses' common form has them, and nothing else", () => {
  // The string version: rewriteAddresses' ONE_ADDRESS, trim and quotes (email.ts), here with offsets.
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
    arena.stageChunk(bytes);
    const want = expectedParts(v);
    const length = bytes.length - 4;
    expect(arena.chunkHeader(2, length), JSON.stringify(v)).toBe(want !== undefined);
    if (want) {
      found++;
      expect([...arena.headerParts].map((x, i) => (i === 2 ? x : x - 2)), JSON.stringify(v)).toEqual(want);
    }
  }
  expect(found, "many headers of every kind are found").toBeGreaterThan(1800);
  expect(values.length - found, "and many are not").toBeGreaterThan(1500);
});

test("Arena.chunkHasEither and chunkLatin1 read the staged chunk at any offset", () => {
  const row = Buffer.from("id\tJane Doe <jane@x.org>\ta,b\tplain\tmore", "latin1");
  arena.stageChunk(row);
  const field = (s: string) => [row.indexOf(s), row.indexOf(s) + s.length] as const;
  expect(arena.chunkHasEither(...field("Jane Doe <jane@x.org>"), 0x3c, 0x2c)).toBe(true);
  expect(arena.chunkHasEither(...field("a,b"), 0x3c, 0x2c)).toBe(true);
  expect(arena.chunkHasEither(...field("plain"), 0x3c, 0x2c)).toBe(false);
  expect(arena.chunkHasEither(3, 3, 0x3c, 0x2c)).toBe(false);
  for (const s of ["plain", "Jane Doe <jane@x.org>", "d"]) expect(arena.chunkLatin1(...field(s))).toBe(s);
});

import type { Draw } from "./prf.js";

/** Latin lorem words by length, so replaced text keeps a similar shape. */
const LOREM = (
  "a ab ad at et in ut id eo ex ne si quo qui sed sit est non vel nam cum per sub iam rem eum hic " +
  "amet enim esse ipsa nisi odio quia sint sunt unde ulla aute illo modi nemo nobis optio saepe totam " +
  "dolor ipsum lorem magna nulla velit culpa fugit animi autem error eaque harum minus natus neque quasi " +
  "labore dolore veniam aliqua tempor beatae dolores eveniet impedit laboris numquam officia possimus " +
  "voluptas adipisci pariatur deserunt occaecat incidunt molestiae voluptate exercitation consequatur " +
  "reprehenderit accusantium"
).split(" ");
const BY_LENGTH: string[][] = [];
for (const w of LOREM) (BY_LENGTH[w.length] ??= []).push(w);
const LENGTHS = BY_LENGTH.map((_, i) => i).filter((i) => BY_LENGTH[i]);

// For each length up to the longest lorem word: the list of the shortest lorem words at least that long.
const FOR_LENGTH: string[][] = [];
for (let len = 0; len <= LENGTHS[LENGTHS.length - 1]!; len++) FOR_LENGTH[len] = BY_LENGTH[LENGTHS.find((l) => l >= len)!]!;
const LONGEST = FOR_LENGTH[FOR_LENGTH.length - 1]!;

function wordOfLength(len: number, draw: Draw): string {
  return draw.pick(FOR_LENGTH[len] ?? LONGEST);
}

// Letters and digits: ASCII ranges, and any code unit from U+00C0 up except general and CJK punctuation.
function isWordUnit(c: number): boolean {
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  return c >= 0xc0 && !(c >= 0x2000 && c <= 0x206f) && !(c >= 0x3000 && c <= 0x303f) && c !== 0xfeff;
}

/**
 * Replaces every word (letters and digits) by a lorem word of a similar length, keeping punctuation, spacing
 * and line breaks: the shape of the text survives, its content does not.
 *
 * @example replaceWords("Call John at 555 1234", draw) // "Amet quia et dol ipsa"
 */
export function replaceWords(text: string, draw: Draw): string {
  let out = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    let j = i;
    while (j < n && !isWordUnit(text.charCodeAt(j))) j++;
    if (j > i) out += text.slice(i, j);
    if (j >= n) break;
    let k = j;
    while (k < n && isWordUnit(text.charCodeAt(k))) k++;
    const r = wordOfLength(k - j, draw);
    const first = text.charCodeAt(j);
    // keep a capital where there was one
    out += first >= 65 && first <= 90 ? r.charAt(0).toUpperCase() + r.slice(1) : r;
    i = k;
  }
  return out;
}

const MARKUP = /(<!--[\s\S]*?-->|<[^>]*>|&[#a-zA-Z0-9]+;)/;

/**
 * Replaces the text of an HTML fragment, keeping tags, attributes, comments and entities as they are, so the
 * markup stays valid. Attribute values (href="mailto:…") are blanked when they look like addresses.
 *
 * @example replaceHtmlText("<p>Dear <b>John</b></p>", draw) // "<p>Amet <b>Ipsa</b></p>"
 */
export function replaceHtmlText(html: string, draw: Draw): string {
  const parts = html.split(MARKUP);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i % 2 === 0) {
      if (p) parts[i] = replaceWords(p, draw);
    } else if (p.charCodeAt(0) === 60 /* < */ && /mailto:|tel:|@/.test(p)) {
      parts[i] = p.replace(/(href|src|title|alt|data-oe-[a-z-]+)\s*=\s*("[^"]*"|'[^']*')/gi, '$1="#"');
    }
  }
  return parts.join("");
}

/**
 * Lorem words making a text of about `length` characters.
 *
 * @example loremOfLength(20, draw) // "Dolor sit amet ipsum"
 */
export function loremOfLength(length: number, draw: Draw): string {
  const words: string[] = [];
  let n = 0;
  while (n < Math.max(1, length) && words.length < 200) {
    const w = draw.pick(LOREM);
    words.push(w);
    n += w.length + 1;
  }
  const s = words.join(" ");
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** Lowercase ASCII letters only (for e-mail local parts). @example asciiFold("Zoë-Ann") // "zoeann" */
export function asciiFold(s: string): string {
  return s
    .normalize("NFKD")
    .replace(/[^A-Za-z0-9]/g, "")
    .toLowerCase();
}

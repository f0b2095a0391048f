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

// The same lists with a capital first letter, at the same indexes.
const FOR_LENGTH_CAPITAL = FOR_LENGTH.map((words) => words.map((w) => w.charAt(0).toUpperCase() + w.slice(1)));
const LONGEST_CAPITAL = FOR_LENGTH_CAPITAL[FOR_LENGTH_CAPITAL.length - 1]!;

// ASCII letters and digits.
const ASCII_WORD = new Uint8Array(128);
for (let c = 0; c < 128; c++) ASCII_WORD[c] = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ? 1 : 0;

// Letters and digits: ASCII ranges, and any code unit from U+00C0 up except general and CJK punctuation.
function isWordUnit(c: number): boolean {
  if (c < 0x80) return ASCII_WORD[c] === 1;
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
  let kept = 0; // start of the pending run of non-word characters
  let i = 0;
  const n = text.length;
  while (i < n) {
    if (!isWordUnit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    let k = i + 1;
    while (k < n && isWordUnit(text.charCodeAt(k))) k++;
    const list = FOR_LENGTH[k - i];
    const at = draw.below((list ?? LONGEST).length);
    const first = text.charCodeAt(i);
    // keep a capital where there was one
    const word = first >= 65 && first <= 90 ? (list ? FOR_LENGTH_CAPITAL[k - i]! : LONGEST_CAPITAL)[at]! : (list ?? LONGEST)[at]!;
    out += kept === i ? word : text.slice(kept, i) + word;
    kept = i = k;
  }
  return kept === 0 ? text : out + text.slice(kept);
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

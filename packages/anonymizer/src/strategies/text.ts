import type { WordTable } from "../accelerator/arena.js";
import type { Draw } from "../accelerator/draw.js";

/** A character outside ASCII (test a string with it: one pattern for the strategies and the COPY encoders). */
// eslint-disable-next-line no-control-regex
export const NON_ASCII = /[^\x00-\x7f]/;

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

// For each length up to the longest lorem word: the list of the shortest lorem words at least that long (all of
// one length); a word longer than the last index uses the last list.
const FOR_LENGTH: string[][] = [];
for (let len = 0; len <= LENGTHS[LENGTHS.length - 1]!; len++) FOR_LENGTH[len] = BY_LENGTH[LENGTHS.find((l) => l >= len)!]!;
const LONGEST = FOR_LENGTH[FOR_LENGTH.length - 1]!;
/** The lists above, as the arena's replaceWords reads them (the same words, so the same outputs). */
export const LOREM_FOR_LENGTH: WordTable = FOR_LENGTH;

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
  return replaceWordsIn(text, 0, text.length, draw, false);
}

/**
 * {@link replaceWords} on `text[start, end)`; with `html`, character references (`&amp;`, `&#39;`) are kept.
 * Callers append the result; the draw is consumed word by word, in order.
 */
function replaceWordsIn(text: string, start: number, end: number, draw: Draw, html: boolean): string {
  let out = "";
  let kept = start; // start of the pending run of characters kept as they are
  let i = start;
  while (i < end) {
    const c = text.charCodeAt(i);
    if (!isWordUnit(c)) {
      i = html && c === 0x26 /* & */ ? entityEnd(text, i, end) : i + 1;
      continue;
    }
    let k = i + 1;
    while (k < end && isWordUnit(text.charCodeAt(k))) k++;
    const list = FOR_LENGTH[k - i];
    const at = draw.below((list ?? LONGEST).length);
    // keep a capital where there was one
    const word = c >= 65 && c <= 90 ? (list ? FOR_LENGTH_CAPITAL[k - i]! : LONGEST_CAPITAL)[at]! : (list ?? LONGEST)[at]!;
    out += kept === i ? word : text.slice(kept, i) + word;
    kept = i = k;
  }
  if (kept === start) return start === 0 && end === text.length ? text : text.slice(start, end);
  return kept === end ? out : out + text.slice(kept, end);
}

/** The end of the character reference `&name;` / `&#123;` at `i`, or `i + 1` when there is none. */
function entityEnd(text: string, i: number, end: number): number {
  let k = i + 1;
  for (; k < end; k++) {
    const c = text.charCodeAt(k);
    if (!(c === 0x23 || (c < 0x80 && ASCII_WORD[c] === 1))) break;
  }
  return k > i + 1 && k < end && text.charCodeAt(k) === 0x3b /* ; */ ? k + 1 : i + 1;
}

const ADDRESS_IN_TAG = /mailto:|tel:|@/;
const ADDRESS_ATTRIBUTE = /(href|src|title|alt|data-oe-[a-z-]+)\s*=\s*("[^"]*"|'[^']*')/gi;

/**
 * Replaces the text of an HTML fragment, keeping tags, attributes and entities as they are, so the markup stays
 * valid. Attribute values (href="mailto:…") are blanked when they look like addresses; comments are emptied. One pass
 * over the string: markup is found with indexOf, words are replaced in place.
 *
 * @example replaceHtmlText("<p>Dear <b>John</b></p>", draw) // "<p>Amet <b>Ipsa</b></p>"
 */
export function replaceHtmlText(html: string, draw: Draw): string {
  const n = html.length;
  let out = "";
  let pos = 0; // start of the current run of text
  let lt = html.indexOf("<");
  while (lt !== -1) {
    // A comment runs to "-->", a tag to ">"; a "<" that closes nothing is text.
    let end = -1;
    let comment = false;
    if (html.startsWith("<!--", lt)) {
      const close = html.indexOf("-->", lt + 4);
      if (close !== -1) {
        end = close + 3;
        comment = true;
      }
    }
    if (end === -1) {
      const gt = html.indexOf(">", lt + 1);
      if (gt === -1) break;
      end = gt + 1;
    }
    if (lt > pos) out += replaceWordsIn(html, pos, lt, draw, true);
    if (comment) out += "<!---->"; // comments can hold anything (pasted mail headers): dropped
    else {
      const tag = html.slice(lt, end);
      out += ADDRESS_IN_TAG.test(tag) ? tag.replace(ADDRESS_ATTRIBUTE, '$1="#"') : tag;
    }
    pos = end;
    lt = html.indexOf("<", pos);
  }
  return pos < n ? out + replaceWordsIn(html, pos, n, draw, true) : out;
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

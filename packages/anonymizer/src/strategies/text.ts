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

function wordOfLength(len: number, draw: Draw): string {
  let best = LENGTHS[LENGTHS.length - 1]!;
  for (const l of LENGTHS) {
    if (l >= len) {
      best = l;
      break;
    }
  }
  return draw.pick(BY_LENGTH[best]!);
}

const WORD = /[\p{L}\p{N}]+/gu;

/**
 * Replaces every word (letters and digits) by a lorem word of a similar length, keeping punctuation, spacing
 * and line breaks: the shape of the text survives, its content does not.
 *
 * @example replaceWords("Call John at 555 1234", draw) // "Amet quia et dol ipsa"
 */
export function replaceWords(text: string, draw: Draw): string {
  return text.replace(WORD, (w) => {
    const r = wordOfLength(w.length, draw);
    const first = w.charCodeAt(0);
    // keep a capital where there was one (65-90: A-Z)
    return first >= 65 && first <= 90 ? r.charAt(0).toUpperCase() + r.slice(1) : r;
  });
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

import type { Arena } from "../accelerator/arena.js";
import { Normalize } from "../accelerator/prf.js";
import { asciiIf, promising, weakest, type CompileStrategy } from "./builder.js";
import { fullNameTransform } from "./name.js";
import { tagOf } from "./tag.js";
import { NON_ASCII } from "./text.js";

/**
 * `email {domain}`: a fake address per distinct (case-insensitive) address, so res_partner.email,
 * email_normalized and crm_lead.email_from agree; headers (`"Name" <addr>`) and address lists keep only their
 * quotes, brackets, commas and white space (see {@link rewriteAddresses}).
 */
export const compileEmail: CompileStrategy<"email"> = (rule, ctx, locale) => {
  const domain = rule.domain ?? "example.com";
  const L = ctx.data(locale);
  const firsts = L.folded("person.first_name");
  const lasts = L.folded("person.last_name");
  // Folded names and tags are ASCII letters and digits by construction.
  const addr = ctx.memo(`email:${locale}:${domain}`, (_v, d) => `${d.pick(firsts) || "user"}.${d.pick(lasts) || "name"}.${tagOf(d, 6)}@${domain}`, {
    normalize: Normalize.lowerTrim,
    charset: asciiIf(!NON_ASCII.test(domain)),
    valueFree: true,
  });
  const display = fullNameTransform(ctx, locale);
  // A header keeps its quotes, brackets and commas, so it is only ASCII when the original is.
  const t = promising((v, row) => {
    // (a regular expression: includes() on strings sliced from a COPY chunk costs several times more)
    if (!ADDRESS_LIST.test(v)) return addr(v, row);
    // One value transformed, however many names and addresses the header holds (their memos count each).
    const counted = ctx.fakeValues;
    // When `v` is the row's own bytes (staging it says so), its parts are hashed from them by offset.
    const byOffset = row.stage !== undefined && row.stage(v) >= 0;
    const out = byOffset
      ? rewriteAddresses(v, (a, at) => addr(a, row, at)!, (n, at) => display(n, row, at)!)
      : rewriteAddresses(v, (a) => addr(a, row)!, (n) => display(n, row)!);
    ctx.fakeValues = counted + 1;
    return out;
  }, weakest([addr.charset, display.charset, "asciiIn"]));
  // From a field's bytes: one address (no `<` or `,`, as ADDRESS_LIST) is the address memo's; a header in
  // rewriteAddresses' common form is rewritten as there, from its parts' bytes; any other takes the string.
  const plain = addr.fromBytes!;
  const nameFrom = display.fromBytes!;
  const header = (arena: Arena, start: number, length: number): string | undefined => {
    if (!arena.chunkHeader(start, length)) return undefined;
    const parts = arena.headerParts;
    const quoted = parts[2] === 1;
    const address = parts[3]! + 1;
    const counted = ctx.fakeValues;
    const name = nameFrom(arena, parts[0]!, parts[1]! - parts[0]!);
    const a = typeof name === "string" ? plain(arena, address, start + length - 1 - address) : undefined;
    if (typeof a !== "string") {
      ctx.fakeValues = counted;
      return undefined;
    }
    ctx.fakeValues = counted + 1;
    return quoted ? `"${name}" <${a}>` : `${name} <${a}>`;
  };
  const fromBytes = (arena: Arena, start: number, length: number) =>
    arena.chunkHasEither(start, start + length, 0x3c, 0x2c) ? header(arena, start, length) : plain(arena, start, length);
  return Object.assign(t, { fromBytes });
};

const ADDRESS_LIST = /[<,]/;
const AT = /@/;
const QUOTE = /"/;
const ONE_ADDRESS = /^([^<>,]+)<([^<>,]*)>$/;

/**
 * How many characters trim() removes at the start of `s` when it is ASCII (where offsets are used: see
 * RowView.stage): tab, line feed, vertical tab, form feed, carriage return and space.
 */
function leadingSpace(s: string): number {
  let n = 0;
  for (let c = s.charCodeAt(0); c === 0x20 || (c >= 0x09 && c <= 0x0d); c = s.charCodeAt(++n));
  return n;
}

/**
 * Rewrites the addresses of an e-mail header-like value holding a `<` or a `,` (the caller has tested
 * ADDRESS_LIST; anything else is one address): `"Name" <a@b.c>`, `Name <a@b.c>`, and comma-separated lists of
 * these and of bare `a@b.c`. Text without any `@` is treated as one address. Nothing of the original is kept but
 * quotes, brackets, commas and white space: a list element that is neither an address nor `name <address>` (the
 * `Doe` of `Doe, Jane <j@x.org>`) is taken for a name.
 */
function rewriteAddresses(v: string, addr: (a: string, at?: number) => string, display: (n: string, at?: number) => string): string {
  // Regular expressions rather than includes/indexOf, which cost several times more on strings sliced from a chunk.
  if (!AT.test(v)) return addr(v);
  // The common form, one `"Name" <address>` or `Name <address>`: a name, then the only <…>, at the end. The parts
  // are passed with their offsets in `v`, so they are hashed from the row's bytes (see RowView.stage).
  const one = ONE_ADDRESS.exec(v);
  if (one) {
    const address = one[2]!;
    let name = one[1]!.trim();
    let at = leadingSpace(one[1]!);
    const q = name.length >= 2 && name.charCodeAt(0) === 0x22 && name.charCodeAt(name.length - 1) === 0x22 ? '"' : "";
    if (q) {
      const inner = name.slice(1, -1);
      name = inner.trim();
      at += 1 + leadingSpace(inner);
    }
    if (name && !QUOTE.test(name)) return `${q}${display(name, at)}${q} <${addr(address, v.length - 1 - address.length)}>`;
  }
  let out = "";
  for (let start = 0; start <= v.length; ) {
    const comma = unquotedIndex(v, start, 0x2c);
    const end = comma < 0 ? v.length : comma;
    if (start > 0) out += ",";
    out += rewriteElement(v.slice(start, end), addr, display);
    start = end + 1;
  }
  return out;
}

/**
 * The offset of the first `c` (`,` or `<`) in `v` from `start` outside quotes (a backslash escaping the next
 * character in them) and outside `<…>`, or -1.
 */
function unquotedIndex(v: string, start: number, c: number): number {
  let quoted = false;
  let bracketed = false;
  for (let i = start; i < v.length; i++) {
    const x = v.charCodeAt(i);
    if (quoted) {
      if (x === 0x5c) i++;
      else if (x === 0x22) quoted = false;
    } else if (x === 0x22) quoted = true;
    else if (x === c && !bracketed) return i;
    else if (x === 0x3c) bracketed = true;
    else if (x === 0x3e) bracketed = false;
  }
  return -1;
}

/** One element of an address list (see rewriteAddresses), its leading white space kept. */
function rewriteElement(e: string, addr: (a: string) => string, display: (n: string) => string): string {
  const text = e.trim();
  if (!text) return e;
  const lead = e.slice(0, leadingSpace(e));
  const lt = unquotedIndex(text, 0, 0x3c);
  if (lt >= 0) {
    const gt = text.indexOf(">", lt);
    const a = addr(text.slice(lt + 1, gt < 0 ? text.length : gt));
    // (what follows `>`, a comment or garbage, is dropped with the rest of the original)
    const name = text.slice(0, lt).trim();
    return name ? `${lead}${nameOf(name, display)} <${a}>` : `${lead}<${a}>`;
  }
  return lead + (AT.test(text) ? addr(text) : nameOf(text, display));
}

/** A fake display name for `name` (trimmed), quoted when it was: its quotes and escapes are not part of the name. */
function nameOf(name: string, display: (n: string) => string): string {
  const quoted = name.length >= 2 && name.charCodeAt(0) === 0x22 && name.charCodeAt(name.length - 1) === 0x22;
  if (!quoted) return display(name.replace(/"/g, "").trim() || name);
  const inner = name.slice(1, -1).replace(/\\(.)/g, "$1").trim();
  return `"${display(inner || name)}"`;
}

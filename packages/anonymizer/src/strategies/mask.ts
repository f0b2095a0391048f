import type { Arena } from "../accelerator/arena.js";
import { promising, type CompileStrategy } from "./builder.js";
import { NON_ASCII } from "./text.js";

const SURROGATE = /[\uD800-\uDFFF]/;

/** `mask {keepFirst, keepLast, char}`: every character but the kept ones replaced by `char` (in code points). */
export const compileMask: CompileStrategy<"mask"> = (rule, ctx) => {
  const first = rule.keepFirst ?? 0;
  const last = rule.keepLast ?? 0;
  const ch = rule.char ?? "*";
  const fill: string[] = []; // ch repeated k times, at k (for the lengths met)
  const masked = (k: number) => (k < 256 ? (fill[k] ??= ch.repeat(k)) : ch.repeat(k));
  // The masked form of a value of n characters, whose kept ones `keep` gives (from its string, its code
  // points or its bytes).
  const maskOf = <S>(n: number, src: S, keep: (src: S, from: number, to: number) => string) =>
    n <= first + last ? masked(n) : (first ? keep(src, 0, first) : "") + masked(n - first - last) + (last ? keep(src, n - last, n) : "");
  const ofString = (s: string, from: number, to: number) => s.slice(from, to);
  const ofCodePoints = (c: string[], from: number, to: number) => c.slice(from, to).join("");
  const t = promising((v) => {
    ctx.fakeValues++;
    // Counted in characters: text with surrogate pairs (emoji) is split into code points first.
    if (SURROGATE.test(v)) {
      const chars = [...v];
      return maskOf(chars.length, chars, ofCodePoints);
    }
    return maskOf(v.length, v, ofString);
  }, NON_ASCII.test(ch) ? undefined : "asciiIn");
  // From a field's ASCII bytes (a byte a character), without the original's string.
  const fromBytes = (arena: Arena, start: number, n: number): string | undefined => {
    if (!arena.chunkAscii(start, start + n)) return undefined;
    ctx.fakeValues++;
    return maskOf(n, start, (at: number, from: number, to: number) => arena.chunkLatin1(at + from, at + to));
  };
  return Object.assign(t, { fromBytes });
};

import type { Draw } from "../accelerator/draw.js";

const BASE36 = "0123456789abcdefghijklmnopqrstuvwxyz";
// All pairs of base-36 characters: a tag of 6 is three picks.
const PAIRS = Array.from({ length: 36 * 36 }, (_, i) => BASE36[Math.floor(i / 36)]! + BASE36[i % 36]!);

/** `length` base-36 characters drawn from the keyed draw (≈5.2 bits each): unique in practice from 10 on. */
export function tagOf(d: Draw, length: number): string {
  let out = "";
  for (let i = 0; i + 1 < length; i += 2) out += PAIRS[d.below(1296)];
  return length & 1 ? out + BASE36[d.below(36)] : out;
}

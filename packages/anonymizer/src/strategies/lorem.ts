import type { CompileStrategy } from "./builder.js";
import { LOREM_FOR_LENGTH, replaceWords } from "./text.js";

/** `lorem`: every word replaced by a lorem word of a similar length. */
export const compileLorem: CompileStrategy<"lorem"> = (_rule, ctx) =>
  ctx.memo("lorem", (v, d) => replaceWords(v, d), { charset: "asciiIn", fromStaged: (arena, n, d) => arena.replaceWords(n, d, false, LOREM_FOR_LENGTH) });

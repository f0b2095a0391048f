import type { CompileStrategy } from "./builder.js";
import { LOREM_FOR_LENGTH, loremOfLength, replaceHtmlText } from "./text.js";

/** `html {mode}`: `text` (default) replaces the words and keeps markup, entities and spacing; `whole` replaces all. */
export const compileHtml: CompileStrategy<"html"> = (rule, ctx) => {
  if (rule.mode === "whole") return ctx.memo("html:whole", (v, d) => `<p>${loremOfLength(Math.min(v.length, 400), d)}</p>`, { charset: "ascii" });
  return ctx.memo("html", (v, d) => replaceHtmlText(v, d), { charset: "asciiIn", fromStaged: (arena, n, d) => arena.replaceWords(n, d, true, LOREM_FOR_LENGTH) });
};

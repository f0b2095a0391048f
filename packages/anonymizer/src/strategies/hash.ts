import { asciiIf, type CompileStrategy } from "./builder.js";
import { tagOf } from "./tag.js";
import { NON_ASCII } from "./text.js";

/** `hash {length, prefix}`: `prefix` and a keyed base-36 tag of the value. */
export const compileHash: CompileStrategy<"hash"> = (rule, ctx) => {
  const length = rule.length ?? 16;
  const prefix = rule.prefix ?? "";
  return ctx.memo(`hash:${length}:${prefix}`, (_v, d) => prefix + tagOf(d, length), { charset: asciiIf(!NON_ASCII.test(prefix)), valueFree: true });
};

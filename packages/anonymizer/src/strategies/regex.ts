import { promising, type CompileStrategy } from "./builder.js";
import { NON_ASCII } from "./text.js";

/** `regex {pattern, replacement, flags}`: String#replace; `$1`, `$&`… copy parts of the value. */
export const compileRegex: CompileStrategy<"regex"> = (rule, ctx) => {
  const re = new RegExp(rule.pattern, rule.flags ?? "g");
  const rep = rule.replacement;
  return promising((v) => {
    ctx.fakeValues++;
    return v.replace(re, rep);
  }, NON_ASCII.test(rep) ? undefined : "asciiIn");
};

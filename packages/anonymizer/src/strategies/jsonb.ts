import { promising, weakest, type CompileStrategy } from "./builder.js";

/** `jsonb {each, keys}`: `each` applied to every string value (of the top-level `keys` only, when given). */
export const compileJsonb: CompileStrategy<"jsonb"> = (rule, ctx) => {
  const each = ctx.compile(rule.each);
  const keys = rule.keys ? new Set(rule.keys) : undefined;
  // Keys and untouched values come from the value; JSON.stringify adds only ASCII.
  return promising((v, row) => {
    let doc: unknown;
    try {
      doc = JSON.parse(v);
    } catch {
      return each(v, row);
    }
    const walk = (x: unknown, top: boolean): unknown => {
      if (typeof x === "string") return each(x, row);
      if (Array.isArray(x)) return x.map((y) => walk(y, false));
      if (x && typeof x === "object") {
        const o: Record<string, unknown> = {};
        for (const [k, y] of Object.entries(x)) o[k] = top && keys && !keys.has(k) ? y : walk(y, false);
        return o;
      }
      return x;
    };
    return JSON.stringify(walk(doc, true));
  }, weakest([each.charset, "asciiIn"]));
};

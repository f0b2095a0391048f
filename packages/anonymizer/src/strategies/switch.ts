import { matchName } from "../rules/match.js";
import { promising, weakest, type ColumnTransform, type CompileStrategy } from "./builder.js";

/** `switch {column, cases, default}`: the rule of the case (exact, then glob) matching another column's original. */
export const compileSwitch: CompileStrategy<"switch"> = (rule, ctx) => {
  const exact = new Map<string, ColumnTransform>();
  const globs: [string, ColumnTransform][] = [];
  for (const [k, c] of Object.entries(rule.cases)) {
    if (/[*?[]/.test(k)) globs.push([k, ctx.compile(c)]);
    else exact.set(k, ctx.compile(c));
  }
  const dflt = ctx.compile(rule.default ?? "keep");
  const col = rule.column;
  return promising((v, row) => {
    const sel = row.original(col) ?? "";
    const t = exact.get(sel) ?? globs.find(([g]) => matchName(g, sel))?.[1] ?? dflt;
    return t(v, row);
  }, weakest([...exact.values(), ...globs.map(([, t]) => t), dflt].map((t) => t.charset)));
};

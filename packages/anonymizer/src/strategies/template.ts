import type { CompileStrategy } from "./builder.js";

/** `template {template}`: the text with `{{column}}` replaced by the anonymized value of that column of the row. */
export const compileTemplate: CompileStrategy<"template"> = (rule, ctx) => {
  const parts = rule.template.split(/\{\{\s*([^}\s]+)\s*\}\}/);
  return (_v, row) => {
    ctx.fakeValues++;
    let s = "";
    for (let i = 0; i < parts.length; i++) s += i % 2 === 0 ? parts[i] : (row.output(parts[i]!) ?? "");
    return s;
  };
};

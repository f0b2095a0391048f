import type { CompileStrategy } from "./builder.js";

/** `same_as {column}`: the anonymized value of another column of the row. */
export const compileSameAs: CompileStrategy<"same_as"> = (rule) => {
  const col = rule.column;
  return (_v, row) => row.output(col);
};

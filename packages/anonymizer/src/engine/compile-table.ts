import type { PlannedTable } from "../check/plan.js";
import type { RowTransformSpec } from "../copy/row-transform.js";
import type { Anonymizer, ColumnTransform } from "../strategies/compile.js";

/**
 * The row transform of a planned table: a compiled transform for every column whose rule changes values,
 * `undefined` (raw bytes passed through) for kept columns.
 *
 * @example const spec = compileTable(planned, new Anonymizer({ secret }));
 */
export function compileTable(t: PlannedTable, anonymizer: Anonymizer): RowTransformSpec {
  const transforms: (ColumnTransform | undefined)[] = t.columns.map((c) => {
    const keep = c.rule === "keep" || (typeof c.rule === "object" && c.rule.strategy === "keep" && !c.rule.unique);
    return keep ? undefined : anonymizer.compile(c.rule);
  });
  return { table: t.info.ruleName, columns: t.columns.map((c) => c.name), transforms };
}

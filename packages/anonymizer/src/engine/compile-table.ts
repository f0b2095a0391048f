import type { PlannedColumn, PlannedTable } from "../check/plan.js";
import { referencedColumns } from "../check/plan.js";
import type { BinaryKind } from "../copy/binary-field.js";
import type { RowTransformSpec } from "../copy/row-rewriter.js";
import { passesThrough } from "../rules/match.js";
import type { ColumnRuleInput } from "../rules/schema.js";
import type { Anonymizer } from "../strategies/anonymizer.js";
import type { ColumnTransform } from "../strategies/builder.js";

/** Options of {@link compileTable}. */
export interface CompileTableOptions {
  /** Use COPY's binary format when the table allows it (default true); false forces text. */
  binary?: boolean;
}

const isNull = (rule: ColumnRuleInput) => rule === "null" || (typeof rule === "object" && rule.strategy === "null");

// How a built-in type's binary form reads as text (format_type names, modifiers stripped). Not `name`: its binary
// input refuses more than 63 bytes where its text input cuts them, so a rule writing it keeps the text format.
const KINDS: Record<string, BinaryKind> = {
  text: "text",
  "character varying": "text",
  character: "text",
  json: "text",
  jsonb: "jsonb",
  smallint: "int2",
  integer: "int4",
  bigint: "int8",
  boolean: "bool",
  uuid: "uuid",
};

/**
 * The binary kinds of a table's columns, or `undefined` when it must be copied as text: a column of a type
 * that is not built in, a column that rules read whose binary form this engine cannot read as text, or a
 * changed column that is not text (a number, a date) unless its rule only sets NULL.
 */
function binaryKinds(columns: PlannedColumn[]): BinaryKind[] | undefined {
  if (!columns.every((c) => c.binary)) return undefined;
  const kinds = columns.map((c) => KINDS[c.type] ?? "other");
  const index = new Map(columns.map((c, i) => [c.name, i]));
  for (const [i, c] of columns.entries()) {
    if (passesThrough(c.rule)) continue;
    const kind = kinds[i]!;
    if (kind !== "text" && kind !== "jsonb" && !isNull(c.rule)) return undefined;
    for (const ref of referencedColumns(c.rule)) {
      const j = index.get(ref);
      if (j !== undefined && kinds[j] === "other") return undefined;
    }
  }
  return kinds;
}

/**
 * The row transform of a planned table: a compiled transform for every column whose rule changes values,
 * `undefined` (raw bytes passed through) for kept columns, and the binary kinds when the table can be copied
 * in COPY's binary format.
 *
 * @example const spec = compileTable(planned, new Anonymizer({ secret }));
 */
export function compileTable(t: PlannedTable, anonymizer: Anonymizer, options: CompileTableOptions = {}): RowTransformSpec {
  const transforms: (ColumnTransform | undefined)[] = t.columns.map((c) => (passesThrough(c.rule) ? undefined : anonymizer.compile(c.rule)));
  const binary = options.binary === false ? undefined : binaryKinds(t.columns);
  return { table: t.info.ruleName, columns: t.columns.map((c) => c.name), transforms, ...(binary ? { binary } : {}) };
}

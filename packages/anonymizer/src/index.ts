/**
 * @odoo-deploy/anonymizer — streaming, deterministic, fail-closed anonymization of PostgreSQL (and Odoo)
 * databases: rules, strategies, the COPY codec, the database-to-database and stream engines, the Odoo preset,
 * the coverage check and the leak scan.
 *
 * @example
 * import { anonymizeDatabase } from "@odoo-deploy/anonymizer";
 * const report = await anonymizeDatabase({ sourceUrl, targetUrl, preset: "odoo", secret: process.env.ANON_SECRET });
 */

// Rules
export {
  rulesFileSchema,
  columnRuleSchema,
  tableRuleSchema,
  odooPresetSchema,
  rulesJsonSchema,
  SHORTHAND_STRATEGIES,
  type RulesFile,
  type RulesFileInput,
  type ColumnRuleInput,
  type TableRuleInput,
  type OdooPresetOptions,
} from "./rules/schema.js";
export { loadRules, formatZodIssues, type LoadRulesOptions, type Rules, type TableEntry } from "./rules/load.js";
export { matchName, tablePlan, columnCoverage, strategyName, KEPT_TYPE_CATEGORIES, type TablePlan, type ColumnCoverage } from "./rules/match.js";
export { resolveRulesSource, type RulesSource } from "./rules/source.js";

// Check
export { checkRules, planReport, type CheckRulesOptions, type CheckRulesReport, type CheckEvent } from "./check/check.js";
export { buildPlan, suggestedRulesYaml, type Plan, type PlannedTable, type PlannedColumn, type UncoveredColumn } from "./check/plan.js";
export { suggestRule } from "./check/suggest.js";

// Strategies
export { Anonymizer, type AnonymizerOptions, type ColumnTransform, type OutputCharset, type RowView } from "./strategies/compile.js";
export { deriveKey, domainKey, prfHash, prfHashStaged, stageBytes, Normalize, sipHash, lastHigh, Draw, type PrfKey } from "./strategies/prf.js";
export { LocaleData, localeData } from "./strategies/locale.js";

// COPY codec
export { decodeField, encodeField } from "./copy/codec.js";
export { CopyRowTransform, RowRewriter, LineChunks, byteText, encodeBinaryField, type ByteText, type RowTransformSpec, type RowTransformStats } from "./copy/row-transform.js";

// Catalog
export { readCatalog, type Catalog, type TableInfo, type ColumnInfo, type ForeignKeyInfo } from "./engine/catalog.js";

// Engines
export { anonymizeDatabase, type AnonymizeDatabaseOptions, type AnonymizeReport, type AnonymizeEvent, type TableResult } from "./engine/database.js";
export { compileTable } from "./engine/compile-table.js";

// Verify
export { verifyAnonymization, type VerifyAnonymizationOptions, type VerifyReport, type VerifyEvent, type Leak } from "./verify/verify.js";
export { anonymizeStream, type AnonymizeStreamOptions, type AnonymizeStreamReport, type StreamEvent } from "./stream/filter.js";
export { odooPreset } from "./presets/odoo.js";

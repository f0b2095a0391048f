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
export { Anonymizer, type AnonymizerOptions } from "./strategies/anonymizer.js";
export type { ColumnTransform, OutputCharset, RowView } from "./strategies/builder.js";

// COPY codec
export { decodeField, encodeField } from "./copy/codec.js";
export { CopyRowTransform, type RowTransformOptions, type RowTransformSpec, type RowTransformStats } from "./copy/row-transform.js";
export { BinaryCopyTransform } from "./copy/binary-transform.js";
export { Arena } from "./accelerator/arena.js";

// Catalog
export { readCatalog, type Catalog, type TableInfo, type ColumnInfo, type ForeignKeyInfo } from "./engine/catalog.js";

// Engines
export { anonymizeDatabase, type AnonymizeDatabaseOptions, type AnonymizeReport, type AnonymizeEvent, type TableResult } from "./engine/database.js";
export { compileTable } from "./engine/compile-table.js";

// Verify
export { verifyAnonymization, type VerifyAnonymizationOptions, type VerifyReport, type VerifyEvent, type Leak } from "./verify/verify.js";
export { anonymizeStream, type AnonymizeStreamOptions, type AnonymizeStreamReport, type StreamEvent } from "./stream/filter.js";
export { odooPreset } from "./presets/odoo.js";

// Every event of the package, as one union keyed by `type`
export type { AnonymizerEvent } from "./events.js";

export { refreshStaging } from "./refresh/refresh-staging.js";
export { resolveBackupSource, restoreAnonymizedBackup, type ResolveBackupOptions } from "./refresh/backup-source.js";
export { anonymizeDump, type AnonymizeDumpOptions, type AnonymizeDumpReport } from "./refresh/anonymize-dump.js";
// Staging refresh (issue 19): types shared by the refresh and the parts it composes
export {
  FILESTORE_POLICIES,
  type FilestorePolicy,
  type ResolvedBackup,
  type RestoreAnonymizedOptions,
  type RestoreAnonymizedReport,
  type StageFilestoreOptions,
  type StageFilestoreReport,
  type RefreshStagingOptions,
  type RefreshReport,
  type RefreshEvent,
} from "./refresh/types.js";
// Staging refresh (issue 19): the filestore by policy, and the placeholder files it writes
export { stageFilestore } from "./refresh/filestore-policy.js";
export { placeholderFor, placeholderKind, placeholderOfKind, type Placeholder, type PlaceholderKind, type PlaceholderInput } from "./refresh/placeholders.js";

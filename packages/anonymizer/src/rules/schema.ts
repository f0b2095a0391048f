import { z } from "zod";

/**
 * The rules file (YAML): which tables are copied and how each column is transformed. Versioned; every
 * problem is reported at once as `path: message`; a JSON Schema generated from the same schema lets editors
 * autocomplete it (`packages/anonymizer/rules.schema.json`, kept in sync by a test).
 */

const fakerLocale = z.string().regex(/^[a-z]{2}(_[A-Z]{2})?$|^base$/, "expected a faker locale such as en, fr, de_CH");

const keep = z.object({ strategy: z.literal("keep") }).strict().describe("Keep the value as it is");
const nul = z.object({ strategy: z.literal("null") }).strict().describe("Replace by NULL (the column must be nullable)");
const constant = z
  .object({ strategy: z.literal("constant"), value: z.string().nullable().describe("The value written for every non-NULL source value") })
  .strict()
  .describe("Replace every non-NULL value by one constant");
const fake = z
  .object({
    strategy: z.literal("fake"),
    method: z.string().regex(/^[a-z][a-zA-Z]*\.[a-z][a-zA-Z]*$/, "expected a faker method path such as person.jobTitle"),
    locale: fakerLocale.optional(),
  })
  .strict()
  .describe("Any @faker-js/faker method by path (seeded per distinct value from the keyed hash; memoised)");
const localeOnly = <N extends string>(name: N, what: string) =>
  z.object({ strategy: z.literal(name), locale: fakerLocale.optional() }).strict().describe(what);
const email = z
  .object({
    strategy: z.literal("email"),
    domain: z.string().optional().describe("Domain of the fakes (default example.com)"),
    locale: fakerLocale.optional(),
  })
  .strict()
  .describe('Fake e-mail address; keeps the "Name" <address> form and lists of addresses');
const hash = z
  .object({
    strategy: z.literal("hash"),
    length: z.number().int().min(8).max(26).optional().describe("Characters of base-36 digest (default 16)"),
    prefix: z.string().optional(),
  })
  .strict()
  .describe("Keyed hash (SipHash-2-4 under the secret), base 36");
const mask = z
  .object({
    strategy: z.literal("mask"),
    keepFirst: z.number().int().min(0).optional(),
    keepLast: z.number().int().min(0).optional(),
    char: z.string().length(1).optional().describe("Masking character (default *)"),
  })
  .strict()
  .describe("Mask all characters but the first/last N");
const template = z
  .object({ strategy: z.literal("template"), template: z.string().describe("{{column}} is the anonymized value of another column of the row") })
  .strict()
  .describe("A template over other columns of the row, e.g. partner{{id}}@example.invalid");
const regex = z
  .object({ strategy: z.literal("regex"), pattern: z.string(), replacement: z.string(), flags: z.string().regex(/^[gimsu]*$/).optional() })
  .strict()
  .describe("Regular expression replace (JavaScript syntax; flags default g)");
const noise = z
  .object({
    strategy: z.literal("noise"),
    ratio: z.number().min(0).optional().describe("Numbers: relative noise, 0.1 = ±10%"),
    days: z.number().int().min(0).optional().describe("Dates and timestamps: ± this many days"),
  })
  .strict()
  .describe("Deterministic noise on numbers (ratio) or dates/timestamps (days)");
const html = z
  .object({ strategy: z.literal("html"), mode: z.enum(["text", "whole"]).optional().describe("text (default): replace text, keep markup; whole: replace all") })
  .strict()
  .describe("HTML: replace the text between tags by lorem words, keeping the markup valid");
const lorem = z.object({ strategy: z.literal("lorem") }).strict().describe("Replace by lorem words of a similar length");
const sameAs = z
  .object({ strategy: z.literal("same_as"), column: z.string().describe("Column of the same row whose anonymized value is copied") })
  .strict()
  .describe("The anonymized value of another column of the row (display_name from name)");
const uuid = z.object({ strategy: z.literal("uuid") }).strict().describe("A UUID derived from the keyed hash of the value");

/** One column's strategy (without the recursive ones). */
type BaseStrategyInput = z.input<typeof baseStrategyObject>;
const baseStrategyObject = z.discriminatedUnion("strategy", [
  keep,
  nul,
  constant,
  fake,
  email,
  localeOnly("phone", "Fake phone number in the locale's formats"),
  localeOnly("name", "Fake full name (first and last)"),
  localeOnly("first_name", "Fake first name"),
  localeOnly("last_name", "Fake last name"),
  localeOnly("company", "Fake company name"),
  localeOnly("street", "Fake street and number"),
  localeOnly("street2", "Fake secondary address (Suite 123)"),
  localeOnly("city", "Fake city"),
  localeOnly("zip", "Fake postal code"),
  hash,
  mask,
  template,
  regex,
  noise,
  html,
  lorem,
  sameAs,
  uuid,
]);

/** Strategy names that need no parameters, usable as a plain string (`email: email`). */
export const SHORTHAND_STRATEGIES = [
  "keep",
  "null",
  "email",
  "phone",
  "name",
  "first_name",
  "last_name",
  "company",
  "street",
  "street2",
  "city",
  "zip",
  "hash",
  "html",
  "lorem",
  "uuid",
  "mask",
] as const;

/** A column rule as written: a strategy name, or an object with `strategy` and its parameters. */
export type ColumnRuleInput =
  | (typeof SHORTHAND_STRATEGIES)[number]
  | ((BaseStrategyInput | JsonbStrategyInput | SwitchStrategyInput) & { unique?: boolean });
interface JsonbStrategyInput {
  strategy: "jsonb";
  /** Strategy applied to every string value of the object (every language of a translated field). */
  each: ColumnRuleInput;
  keys?: string[];
}
interface SwitchStrategyInput {
  strategy: "switch";
  column: string;
  cases: Record<string, ColumnRuleInput>;
  default?: ColumnRuleInput;
}

const uniqueFlag = { unique: z.boolean().optional().describe("Outputs must not collide (for unique columns such as res_users.login)") };

/** A column rule: `email`, or `{ strategy: email, domain: example.org, unique: true }`. */
export const columnRuleSchema: z.ZodType<ColumnRuleInput, ColumnRuleInput> = z.lazy(() =>
  z.union([
    z.enum(SHORTHAND_STRATEGIES),
    z.discriminatedUnion("strategy", [
      ...(baseStrategyObject.options.map((o) => o.extend(uniqueFlag)) as unknown as [typeof keep]),
      z
        .object({
          strategy: z.literal("jsonb"),
          each: columnRuleSchema,
          keys: z.array(z.string()).optional().describe("Only these keys (default: every key)"),
          ...uniqueFlag,
        })
        .strict()
        .describe("jsonb objects: apply a strategy to every string value (every language of a translation)"),
      z
        .object({
          strategy: z.literal("switch"),
          column: z.string().describe("Column of the row whose original value selects the case"),
          cases: z.record(z.string(), columnRuleSchema),
          default: columnRuleSchema.optional(),
          ...uniqueFlag,
        })
        .strict()
        .describe("Choose the strategy by the value of another column (ir_config_parameter.value by key)"),
    ]),
  ]),
) as z.ZodType<ColumnRuleInput, ColumnRuleInput>;

/** Rules of one table (or of every table matching a glob). */
export const tableRuleSchema = z
  .object({
    action: z
      .enum(["copy", "truncate", "skip"])
      .optional()
      .describe("copy (default); truncate: the table exists with no rows; skip: the table is not created at all"),
    where: z
      .string()
      .optional()
      .describe(
        "Copy only the rows matching this SQL boolean expression over the table's columns, evaluated on the source in the run's read-only snapshot (e.g. create_date > now() - interval '1 year'). One expression: no ;, comments, $ quotes or unbalanced parentheses; only functions and operators PostgreSQL marks immutable or stable; subqueries may read other tables",
      ),
    cascade: z
      .boolean()
      .optional()
      .describe("Also drop the rows of other tables whose foreign keys point at rows this rule removes"),
    columns: z.record(z.string(), columnRuleSchema).optional().describe("Column name or glob → strategy"),
  })
  .strict();

/** Options of the Odoo preset. */
export const odooPresetSchema = z
  .object({
    name: z.literal("odoo"),
    password: z.string().optional().describe("Plain password given to every user (Odoo accepts it at login); default admin"),
    keepAdminLogin: z.boolean().optional().describe("Keep the login of the admin user (id 2) unchanged (default true)"),
    keepAttachments: z.enum(["all", "public", "none"]).optional().describe("Binary data of attachments: all (default), public only, none"),
  })
  .strict();

/** The whole rules file. */
export const rulesFileSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1).describe("Rules format version"),
    preset: z.union([z.literal("odoo"), odooPresetSchema]).optional().describe("Start from a preset; rules here extend or override it"),
    secret: z.string().optional().describe("The anonymization secret (use ${VAR}); same secret → same fakes"),
    locale: fakerLocale.optional().describe("Default faker locale (default en)"),
    types: z
      .record(z.string(), columnRuleSchema)
      .optional()
      .describe("Strategy by PostgreSQL type name (text, character varying, jsonb…) for columns no rule names"),
    columns: z.record(z.string(), columnRuleSchema).optional().describe("Column name or glob → strategy, in every table"),
    tables: z.record(z.string(), tableRuleSchema).optional().describe("Table name or glob → table rules"),
  })
  .strict();

export type RulesFileInput = z.input<typeof rulesFileSchema>;
export type RulesFile = z.output<typeof rulesFileSchema>;
export type TableRuleInput = z.input<typeof tableRuleSchema>;
export type OdooPresetOptions = z.output<typeof odooPresetSchema>;

/**
 * JSON Schema of the rules file, for editors (`# yaml-language-server: $schema=...`).
 *
 * @example writeFileSync("rules.schema.json", JSON.stringify(rulesJsonSchema(), null, 2));
 */
export function rulesJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(rulesFileSchema, { target: "draft-2020-12", io: "input", cycles: "ref" }) as Record<string, unknown>;
}

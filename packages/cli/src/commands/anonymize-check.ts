import type { CheckRulesReport } from "@odoo-deploy/anonymizer";
import { UsageError } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { anonymizer } from "../lazy.js";
import { rulesFlags, rulesOptions } from "./anonymize.js";

/** `odoo-deploy anonymize check`: fail-closed coverage of the source schema by the rules. */
export default defineCommand<CheckRulesReport & Record<string, unknown>>({
  path: "anonymize check",
  summary: "Check that the anonymization rules cover every column of the source database (exit 1 if not)",
  flags: [
    { flags: "--source-url <url>", description: "PostgreSQL URL of the database to anonymize", configKey: "database.url" },
    ...rulesFlags,
  ],
  async run(ctx) {
    const sourceUrl = ctx.settings.database?.url;
    if (!sourceUrl) throw new UsageError("anonymize check needs --source-url URL (or database.url in odoo-deploy.yaml)");
    return (await (await anonymizer()).checkRules({
      sourceUrl,
      ...rulesOptions(ctx),
      signal: ctx.signal,
      onEvent: ctx.onEvent,
    })) as CheckRulesReport & Record<string, unknown>;
  },
  render(r, out) {
    out.heading(`Anonymization rules against ${r.source}`);
    out.table([["tables", `${r.tables.copied} copied, ${r.tables.truncated} truncated, ${r.tables.skipped} skipped`]]);
    for (const c of r.checks) out.check(c);
    if (r.uncovered.length) {
      out.line("");
      out.line("Uncovered columns, with a suggested rule for each (review before use):");
      for (const line of r.suggestedRules.trimEnd().split("\n")) out.line(`  ${line}`);
    }
    out.verdict(r.ok, r.ok ? "every column is covered" : "the rules do not cover the schema: anonymization would be refused");
  },
});

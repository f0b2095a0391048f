import path from "node:path";
import type { CheckRulesReport } from "@odoo-deploy/anonymizer";
import { UsageError } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { anonymizer } from "../lazy.js";
import { writeGeneratedFile } from "../write-file.js";
import { rulesFlags, rulesOptions } from "./anonymize.js";

/**
 * The rules file `--write-rules` writes: the suggestion for every uncovered column, headed by what to review.
 * On top of the preset alone it is a complete rules file; beside a rules file of the user's, a part to merge in.
 */
function suggestedRulesFile(r: CheckRulesReport, from: { rulesFile?: string; preset?: string }): string {
  const header = [
    `# Suggested anonymization rules for ${r.uncovered.length} column${r.uncovered.length === 1 ? "" : "s"} no rule covered, written by`,
    `# \`odoo-deploy anonymize check --write-rules\` against ${r.source}.`,
    "# Each suggestion is a guess from the column's name and type: review every one before use.",
    from.rulesFile
      ? `# Merge the tables below into ${from.rulesFile}.`
      : `# Then use it with --rules${from.preset ? " (it names the preset, which it extends)" : ""}.`,
  ];
  return `${header.join("\n")}\nversion: 1\n${!from.rulesFile && from.preset ? `preset: ${from.preset}\n` : ""}${r.suggestedRules}`;
}

/** `odoo-deploy anonymize check`: fail-closed coverage of the source schema by the rules. */
export default defineCommand({
  path: "anonymize check",
  summary: "Check that the anonymization rules cover every column of the source database (exit 1 if not)",
  flags: {
    sourceUrl: { ...FLAGS.sourceUrl, description: "PostgreSQL URL of the database to anonymize", configKey: "database.url" },
    ...rulesFlags,
    writeRules: { flags: "--write-rules <file>", description: "write a rule for every uncovered column to this rules file, to review" },
    force: { ...FLAGS.force, description: "with --write-rules: replace an existing file" },
  },
  async run(ctx) {
    const sourceUrl = ctx.settings.database?.url;
    if (!sourceUrl) throw new UsageError("anonymize check needs --source-url URL (or database.url in odoo-deploy.yaml)");
    const lib = await anonymizer();
    const rules = rulesOptions(ctx);
    const report = await lib.checkRules({ sourceUrl, ...rules, signal: ctx.signal, onEvent: ctx.onEvent });
    const target = ctx.flags.writeRules;
    if (target === undefined || report.uncovered.length === 0) return { ...report, ...(target ? { rulesWritten: null } : {}) };
    const file = path.resolve(ctx.io.cwd, target);
    const text = suggestedRulesFile(report, rules);
    // A file that would not load is never written: the suggestions are checked as rules first.
    lib.loadRules({ text, env: {} });
    writeGeneratedFile(file, text, { force: ctx.flags.force === true });
    return { ...report, rulesWritten: file };
  },
  render(r, out) {
    out.heading(`Anonymization rules against ${r.source}`);
    out.table([["tables", `${r.tables.copied} copied, ${r.tables.truncated} truncated, ${r.tables.skipped} skipped`]]);
    for (const c of r.checks) out.check(c);
    if (r.uncovered.length) {
      out.line("");
      out.line("Uncovered columns, with a suggested rule for each (review before use):");
      if (r.rulesWritten) out.line(`Suggested rules written to ${r.rulesWritten}: review them, then use --rules ${r.rulesWritten}`);
      else for (const line of r.suggestedRules.trimEnd().split("\n")) out.line(`  ${line}`);
    }
    out.verdict(r.ok, r.ok ? "every column is covered" : "the rules do not cover the schema: anonymization would be refused");
  },
});

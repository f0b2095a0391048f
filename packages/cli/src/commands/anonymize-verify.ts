import { UsageError } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { anonymizer } from "../lazy.js";
import { rulesFlags, rulesOptions } from "./anonymize.js";

/** `odoo-deploy anonymize verify`: scan an anonymized copy for original values and canaries. */
export default defineCommand({
  path: "anonymize verify",
  summary: "Scan an anonymized copy for original values of transformed columns and for canaries (exit 1 on any leak)",
  flags: {
    sourceUrl: { ...FLAGS.sourceUrl, description: "PostgreSQL URL of the original database" },
    targetUrl: { ...FLAGS.targetUrl, description: "PostgreSQL URL of the anonymized copy" },
    ...rulesFlags,
    canary: { flags: "--canary <value...>", description: "A value that must appear nowhere in the copy (repeatable)", parse: "repeatable" },
  },
  async run(ctx) {
    const sourceUrl = ctx.flags.sourceUrl;
    const targetUrl = ctx.flags.targetUrl;
    if (!sourceUrl || !targetUrl) throw new UsageError("anonymize verify needs --source-url and --target-url");
    const canaries = ctx.flags.canary ?? [];
    for (const c of canaries) ctx.redactor.addSecret(c);
    return (await (await anonymizer()).verifyAnonymization({ sourceUrl, targetUrl, ...rulesOptions(ctx), canaries, signal: ctx.signal, onEvent: ctx.onEvent }));
  },
  render(r, out) {
    out.heading(`Leak scan of ${r.target} against ${r.source}`);
    for (const c of r.checks) out.check(c);
    for (const l of r.leaks) out.line(`  ${l.kind === "canary" ? "canary" : "original"} in ${l.table}.${l.column}: ${l.count} row(s)`);
    out.verdict(r.ok, r.ok ? "no leak found" : `${r.leaks.length} leak(s)`);
  },
});

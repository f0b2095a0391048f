import { rollbackDeploy, type RollbackReport } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { renderSteps, SERVICE_FLAGS, targetOptions, took } from "./deploy-common.js";

/** `odoo-deploy rollback`: the 2 a.m. command — back to before the last deploy in seconds. */
export default defineCommand({
  path: "rollback",
  summary: "Undo the last deploy (or --to ID) from its rollback point; refuses to lose rows written since unless --accept-data-loss",
  flags: {
    to: { flags: "--to <id>", description: "the deploy to undo (default: the last successful one; see deploy list)" },
    acceptDataLoss: { flags: "--accept-data-loss", description: "roll back even though rows were written since (they stay in the replaced database)", parse: "boolean" },
    dryRun: { ...FLAGS.dryRun, description: "check everything, change nothing" },
    ...SERVICE_FLAGS,
  },
  async run(ctx) {
    const { options, close } = targetOptions(ctx, "rollback");
    try {
      return (await rollbackDeploy({
        ...options,
        ...(ctx.flags.to ? { to: ctx.flags.to } : {}),
        acceptDataLoss: ctx.flags.acceptDataLoss === true,
        dryRun: ctx.flags.dryRun === true,
      })) satisfies RollbackReport;
    } finally {
      await close();
    }
  },
  render(r, out, ctx) {
    out.heading(`Rollback of deploy ${r.id || "?"} of ${r.database}`);
    if (ctx.quiet) renderSteps(r.steps, undefined, out);
    if (r.rowsSince.length) out.line(`rows written since that deploy: ${r.rowsSince.map((x) => `${x.table} ${x.rows}`).join(", ")}`);
    if (r.failure) out.line(`  ${r.failure.step}: ${r.failure.message}`);
    if (r.dryRun) return out.verdict(r.ok, r.ok ? "dry run: the rollback would go through" : "dry run: the rollback would be refused");
    out.verdict(r.ok, r.ok ? `rolled back in ${took(r.durationMs)}${r.asideDatabase ? `; the replaced database is kept as ${r.asideDatabase}` : ""}` : r.recovered.length ? "the interrupted run could not be finished" : "nothing was changed, or see the journal");
  },
});

import path from "node:path";
import { deployOdoo, UsageError, type DeployReport } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { odooHostRunner } from "../runners.js";
import { FLAGS } from "../flags.js";
import { renderSteps, SERVICE_FLAGS, targetOptions, took } from "./deploy-common.js";

/** `odoo-deploy deploy`: one command from a green build to production, rolled back on any failure. */
export default defineCommand({
  path: "deploy",
  summary: "Deploy a revision (and image): backup, stop, rollback point, migrate with the new code, start, health; rolled back on failure",
  flags: {
    to: { flags: "--to <rev>", description: "revision to deploy (default HEAD)" },
    image: { ...FLAGS.image, description: "the image to run (Docker and Compose services); the migration runs in a one-off container of it" },
    repo: FLAGS.repo,
    addonsPath: FLAGS.repoAddonsPaths,
    odooBin: { ...FLAGS.odooBin, description: "odoo-bin to run for the migration (odoo in the official image)" },
    odooConfig: FLAGS.odooConfig,
    ...SERVICE_FLAGS,
    backup: { flags: "--backup <when>", description: "auto (only when something is migrated, default) or always", configKey: "deploy.backup", choices: ["auto", "always"] },
    keepRollbackPoints: { flags: "--keep-rollback-points <n>", description: "rollback points kept after a good deploy (default 1)", configKey: "deploy.keepRollbackPoints", parse: "int" },
    rollback: { flags: "--no-rollback", description: "do not roll back automatically after a failure", parse: "boolean" },
    dryRun: { ...FLAGS.dryRun, description: "print the plan and every step's commands; change nothing" },
  },
  async run(ctx) {
    const s = ctx.settings;
    const { options, close } = targetOptions(ctx, "deploy");
    const addonsPaths = s.repo?.addonsPaths;
    if (!addonsPaths?.length) {
      await close();
      throw new UsageError("deploy needs the addons paths inside the repository: --addons-path PATH or repo.addonsPaths", { code: "NO_ADDONS_PATH" });
    }
    const odooRunner = odooHostRunner(s);
    try {
      const repo = path.resolve(ctx.io.cwd, s.repo?.root ?? ".");
      return (await deployOdoo({
        ...options,
        repo,
        addonsPaths,
        odooRunner,
        ...(s.repo?.odooAddonsPaths ? { odooAddonsPaths: s.repo.odooAddonsPaths.map((p) => path.resolve(ctx.io.cwd, p)) } : {}),
        ...(s.repo?.classification ? { classification: s.repo.classification.map((c) => ({ pattern: c.pattern, effect: c.action })) } : {}),
        ...(s.repo?.install ? { install: s.repo.install } : {}),
        ...(ctx.flags.to ? { to: ctx.flags.to } : {}),
        ...(s.odoo?.image ? { image: s.odoo.image } : {}),
        ...(s.odoo?.odooBin ? { odooBin: s.odoo.odooBin } : {}),
        ...(s.odoo?.configPath ? { odooConfig: s.odoo.configPath } : {}),
        ...(s.odoo?.addonsPath ? { odooAddonsPath: s.odoo.addonsPath } : {}),
        ...(s.deploy?.backup ? { backup: s.deploy.backup } : {}),
        ...(s.backups?.format ? { backupFormat: s.backups.format } : {}),
        ...(s.deploy?.keepRollbackPoints ? { keepRollbackPoints: s.deploy.keepRollbackPoints } : {}),
        rollback: ctx.flags.rollback !== false,
        dryRun: ctx.flags.dryRun === true,
      })) satisfies DeployReport;
    } finally {
      await odooRunner.close();
      await close();
    }
  },
  render(r, out, ctx) {
    const code = (c: { image?: string; revision?: string }) => [c.image, c.revision?.slice(0, 12)].filter(Boolean).join(" @ ") || "?";
    out.heading(`Deploy ${r.id} of ${r.database}: ${code(r.from)} → ${code(r.to)}`);
    if (r.plan) out.table([["install", r.plan.install.join(", ") || "-"], ["update", r.plan.update.join(", ") || "-"], ["cascade", r.plan.cascade.join(", ") || undefined]]);
    // Steps were shown as they ended; with --quiet or piped to a file they are repeated here.
    if (ctx.quiet || r.dryRun) renderSteps(r.steps, r.rollback?.steps, out);
    for (const w of r.wouldRun ?? []) {
      out.line(`  ${w.name}:`);
      for (const c of w.commands) out.line(`    ${c}`);
    }
    for (const w of r.warnings) out.line(`warning: ${w}`);
    if (r.failure) out.line(`  ${r.failure.step}: ${r.failure.message}`);
    if (r.dryRun) return out.verdict(r.ok, r.ok ? "dry run: nothing was changed" : "dry run: the preflight failed");
    if (r.ok) return out.verdict(true, `deployed in ${took(r.durationMs)}${r.downtimeMs !== undefined ? `, ${took(r.downtimeMs)} of downtime` : ""}`);
    const back = r.rolledBack ? "rolled back: the previous code serves the pre-deploy database" : r.rollback ? `the rollback failed: see ${r.journal}` : "nothing was changed";
    out.verdict(false, `${r.failure?.step ?? "deploy"} failed; ${back}`);
  },
});

import path from "node:path";
import { planDeploy, type DeployPlan } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";

/** `odoo-deploy plan`: which modules to install, update and uninstall, in what order, and why. */
export default defineCommand({
  path: "plan",
  summary: "Plan a deploy: modules to install, update and uninstall, in dependency order, with reasons and cascade",
  flags: {
    repo: FLAGS.repo,
    addonsPath: FLAGS.repoAddonsPaths,
    odooAddonsPath: {
      flags: "--odoo-addons-path <path...>",
      description: "Odoo's own addons directory, to tell external dependencies from missing ones (repeatable)",
      configKey: "repo.odooAddonsPaths",
      parse: "list",
    },
    from: { flags: "--from <rev>", description: "base revision, the one deployed now (default: odoo_deploy.deployed_revision from the database)" },
    to: { flags: "--to <rev>", description: "target revision (default HEAD)" },
    mode: { flags: "--mode <mode>", description: "git: compare revisions; checksum: compare the work tree with click-odoo-update's stored checksums", choices: ["git", "checksum"] },
    dbUrl: { ...FLAGS.dbUrl, description: "PostgreSQL URL of the Odoo database (installed modules, deployed revision, checksums)" },
    failOnUninstall: { flags: "--fail-on-uninstall", description: "fail (exit 1) when installed modules disappeared from the addons paths", parse: "boolean" },
  },
  async run(ctx) {
    const repo = ctx.settings.repo ?? {};
    const root = path.resolve(ctx.io.cwd, repo.root ?? ".");
    const plan = await planDeploy({
      repo: root,
      addonsPaths: repo.addonsPaths ?? [],
      ...(repo.odooAddonsPaths ? { odooAddonsPaths: repo.odooAddonsPaths.map((p) => path.resolve(ctx.io.cwd, p)) } : {}),
      ...(ctx.flags.mode !== undefined ? { mode: ctx.flags.mode } : {}),
      ...(ctx.flags.from !== undefined ? { from: String(ctx.flags.from) } : {}),
      ...(ctx.flags.to !== undefined ? { to: String(ctx.flags.to) } : {}),
      ...(ctx.settings.database?.url ? { dbUrl: ctx.settings.database.url } : {}),
      ...(repo.install ? { install: repo.install } : {}),
      ...(repo.classification ? { classification: repo.classification.map((r) => ({ pattern: r.pattern, effect: r.action })) } : {}),
      failOnUninstall: ctx.flags.failOnUninstall === true,
      signal: ctx.signal,
      onEvent: ctx.onEvent,
    });
    return plan as DeployPlan;
  },
  render(r, out) {
    const range = r.mode === "git" ? `${r.from?.slice(0, 12)}..${r.to?.slice(0, 12)}` : "work tree vs stored checksums";
    out.heading(`Deploy plan (${r.mode}: ${range}; installed modules from the ${r.installedFrom === "database" ? "database" : "base revision"})`);
    const list = (xs: string[]) => (xs.length ? xs.join(", ") : "—");
    out.table([
      ["install", list(r.install)],
      ["update", list(r.update)],
      ["uninstall", list(r.uninstall)],
      ["cascade", r.cascade.length ? `${r.cascade.join(", ")} (updated by Odoo because they depend on updated modules)` : "—"],
      ["order", r.order.length ? r.order.join(" → ") : "—"],
      ["i18n overwrite", r.i18nOverwrite.length ? r.i18nOverwrite.join(", ") : undefined],
    ]);
    const names = Object.keys(r.modules);
    if (names.length > 0) {
      out.line();
      const width = Math.max(...names.map((n) => n.length));
      for (const n of names) {
        const m = r.modules[n]!;
        const reasons = m.reasons.length ? m.reasons : [""];
        // Cascade modules are "unchanged" for the plan but updated by Odoo: show it.
        const shown = m.action === "unchanged" && r.cascade.includes(n) ? "cascade" : m.action;
        out.line(`  ${n.padEnd(width)}  ${shown.padEnd(9)}  ${reasons[0]}`);
        for (const extra of reasons.slice(1)) out.line(`  ${" ".repeat(width)}  ${" ".repeat(9)}  ${extra}`);
      }
    }
    for (const w of r.warnings) out.line(`warning: ${w}`);
    for (const c of r.checks) if (c.status === "failed" || c.detail) out.check(c);
    const n = r.install.length + r.update.length;
    out.verdict(r.ok, r.ok ? (n === 0 && r.uninstall.length === 0 ? "nothing to deploy" : `${n} module${n === 1 ? "" : "s"} to install or update`) : "the plan cannot be deployed");
  },
});

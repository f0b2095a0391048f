import { inspectDatabase, UsageError } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";

/** `odoo-deploy status`: what state an Odoo database is in, before touching it. */
export default defineCommand({
  path: "status",
  summary: "Show an Odoo database's version, module states, pending updates and deployed revision",
  flags: { dbUrl: FLAGS.dbUrl, backupDir: { ...FLAGS.backupDir, description: "backups directory: its deploy journal is checked for unfinished deploys" } },
  async run(ctx) {
    const dbUrl = ctx.settings.database?.url;
    if (!dbUrl) throw new UsageError("status needs a database: --db-url URL, database.url in odoo-deploy.yaml, or ODOO_DEPLOY_DATABASE_URL");
    const backupDir = ctx.settings.backups?.directory;
    return await inspectDatabase({ dbUrl, ...(backupDir ? { backupDir } : {}), signal: ctx.signal, onEvent: ctx.onEvent });
  },
  render(r, out) {
    out.heading(`Database ${r.database}`);
    out.table([
      ["PostgreSQL", r.serverVersion],
      ["Odoo", r.odooVersion ?? (r.isOdoo ? "unknown" : "not an Odoo database")],
      ["tables", String(r.tableCount)],
      ["modules", Object.entries(r.moduleStates).map(([s, n]) => `${n} ${s}`).join(", ") || undefined],
      ["deployed revision", r.deployedRevision ?? "none recorded"],
      ["deployed image", r.deployedImage],
      ["neutralized", r.isOdoo ? (r.neutralized ? "yes" : "no") : undefined],
    ]);
    for (const c of r.checks) out.check(c);
    out.verdict(r.ok, r.ok ? "database is consistent" : "database needs attention");
  },
});

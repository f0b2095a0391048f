import { listDeploys, UsageError, type ListDeploysReport } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";

/** `odoo-deploy deploy list`: the journal, newest first. */
export default defineCommand({
  path: "deploy list",
  summary: "List deploys and rollbacks from the journal (newest first), with what each left to go back to",
  flags: {
    backupDir: { ...FLAGS.backupDir, description: "where the journal (deploys/) lives" },
    dbName: { ...FLAGS.dbName, description: "only this database's" },
  },
  async run(ctx) {
    const backupDir = ctx.settings.backups?.directory;
    if (!backupDir) throw new UsageError("deploy list needs the backup directory: --backup-dir DIR or backups.directory", { code: "MISSING_BACKUP_DIR" });
    const database = ctx.settings.database?.name;
    return (await listDeploys({ backupDir, ...(database ? { database } : {}) })) satisfies ListDeploysReport;
  },
  render(r, out) {
    out.heading(`Deploys in ${r.journal}`);
    for (const d of r.deploys) {
      const code = (c: { image?: string; revision?: string }) => c.image ?? c.revision?.slice(0, 12) ?? "?";
      const extra = [
        d.interruptedDuring ? `INTERRUPTED during ${d.interruptedDuring}: the next deploy or rollback finishes it` : "",
        d.rollbackPoint ? `rollback point ${d.rollbackPoint}` : "",
        d.undoneBy ? `undone by ${d.undoneBy}` : "",
        d.undoes ? `undoes ${d.undoes}` : "",
      ].filter(Boolean);
      out.line(`  ${d.id}  ${d.kind.padEnd(8)} ${d.status.padEnd(12)} ${d.database}  ${code(d.from)} → ${code(d.to)}${extra.length ? `  (${extra.join("; ")})` : ""}`);
    }
    if (r.deploys.length === 0) out.line("  none");
    out.verdict(r.unfinished.length === 0, r.unfinished.length ? `${r.unfinished.length} unfinished: run odoo-deploy deploy or rollback to finish` : `${r.deploys.length} entries`);
  },
});

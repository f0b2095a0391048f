import { formatBytes, listBackups, UsageError } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";

/** `odoo-deploy backup list DIR`: published backups, newest first. */
export default defineCommand({
  path: "backup list",
  summary: "List the backups of a directory, newest first, with their last verification",
  args: ["[dir]"],
  async run(ctx) {
    const directory = ctx.args[0] ?? ctx.settings.backups?.directory;
    if (!directory) throw new UsageError("backup list needs a directory: DIR or backups.directory", { code: "MISSING_BACKUP_DIR" });
    return (await listBackups({ directory, signal: ctx.signal }));
  },
  render(r, out) {
    out.heading(`Backups in ${r.directory}`);
    for (const b of r.backups) {
      const v = b.verified ? `${b.verified.ok ? "verified" : "FAILED verification"} (${b.verified.level})` : "never verified";
      out.line(`  ${b.name}  ${b.format}  ${b.database}  ${b.createdAt}  ${formatBytes(b.bytes)}  ${v}`);
    }
    for (const u of r.unreadable) out.line(`  ${u.name}  unreadable: ${u.reason}`);
    out.verdict(r.ok, `${r.backups.length} backups`);
  },
});

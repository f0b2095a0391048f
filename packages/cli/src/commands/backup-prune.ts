import { pruneBackups, UsageError } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";

/** `odoo-deploy backup prune DIR`: retention by count and age, never the newest verified backup. */
export default defineCommand({
  path: "backup prune",
  summary: "Delete old backups (--keep-last N, --keep-days D); the newest verified backup is always kept",
  args: ["[dir]"],
  flags: {
    keepLast: { flags: "--keep-last <n>", description: "keep the N newest backups", configKey: "backups.retention.keepLast", parse: "int" },
    keepDays: { flags: "--keep-days <d>", description: "keep backups younger than D days", configKey: "backups.retention.keepDays", parse: "int" },
    dryRun: { ...FLAGS.dryRun, description: "only show what would be deleted" },
  },
  async run(ctx) {
    const directory = ctx.args[0] ?? ctx.settings.backups?.directory;
    if (!directory) throw new UsageError("backup prune needs a directory: DIR or backups.directory", { code: "MISSING_BACKUP_DIR" });
    const r = ctx.settings.backups?.retention ?? {};
    return (await pruneBackups({
      directory,
      ...(r.keepLast !== undefined ? { keepLast: r.keepLast } : {}),
      ...(r.keepDays !== undefined ? { keepDays: r.keepDays } : {}),
      dryRun: ctx.flags.dryRun === true,
      signal: ctx.signal,
    }));
  },
  render(r, out) {
    out.heading(`Prune ${r.directory}${r.dryRun ? " (dry run)" : ""}`);
    for (const k of r.kept) out.line(`  keep    ${k.name}  (${k.reasons.join(", ")})`);
    for (const d of r.deleted) out.line(`  ${r.dryRun ? "would delete" : "deleted"} ${d}`);
    for (const i of r.ignored) out.line(`  ignore  ${i.name}  (${i.reason})`);
    for (const s of r.steps.filter((x) => x.status === "failed")) out.check(s);
    out.verdict(r.ok, `${r.deleted.length} deleted, ${r.kept.length} kept`);
  },
});

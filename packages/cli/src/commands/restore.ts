import { formatDuration, restoreDatabase, UsageError, type RestoreEvent, type RestoreReport } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { databaseRunner } from "../runners.js";
import { renderBackupProgress } from "./backup.js";

/** `odoo-deploy restore PATH`: restore into a new database, optionally swapped in; never drops the original. */
export default defineCommand<RestoreReport & Record<string, unknown>>({
  path: "restore",
  summary: "Restore a backup into a new database (and filestore beside the old one); --swap puts it in place, keeping the old one aside",
  args: ["<path>"],
  flags: [
    { flags: "--db-url <url>", description: "PostgreSQL URL of the database the backup is restored for", configKey: "database.url" },
    { flags: "--filestore-dir <path>", description: "that database's filestore (<data_dir>/filestore/<db>)", configKey: "backups.filestoreDir" },
    { flags: "--swap", description: "put the restored database in place; the old one becomes <db>_before_<timestamp>", parse: "boolean" },
  ],
  async run(ctx) {
    const dbUrl = ctx.settings.database?.url;
    if (!dbUrl) throw new UsageError("restore needs the target database: --db-url URL, database.url, or ODOO_DEPLOY_DATABASE_URL", { code: "MISSING_DB_URL" });
    const runner = databaseRunner(ctx.settings);
    try {
      return (await restoreDatabase({
        path: ctx.args[0]!,
        dbUrl,
        ...(ctx.settings.backups?.filestoreDir ? { filestoreDir: ctx.settings.backups.filestoreDir } : {}),
        swap: ctx.flags.swap === true,
        runner,
        signal: ctx.signal,
        onEvent: ctx.onEvent as (e: RestoreEvent) => void,
      })) as RestoreReport & Record<string, unknown>;
    } finally {
      await runner.close();
    }
  },
  renderEvent: renderBackupProgress,
  render(r, out) {
    out.heading(`Restore ${r.source} for ${r.database}`);
    for (const s of r.steps) out.check(s);
    const where = r.swapped ? `${r.database} replaced; the old database is ${r.asideDatabase}` : r.restoredAs ? `restored as ${r.restoredAs}` : "nothing changed";
    out.verdict(r.ok, `${r.ok ? where : "restore failed, the original is untouched"} (${formatDuration(r.durationMs)})`);
  },
});

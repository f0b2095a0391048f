import { formatDuration, restoreDatabase, UsageError } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { databaseRunner } from "../runners.js";

/** `odoo-deploy restore PATH`: restore into a new database, optionally swapped in; never drops the original. */
export default defineCommand({
  path: "restore",
  summary: "Restore a backup into a new database (and filestore beside the old one); --swap puts it in place, keeping the old one aside",
  args: ["<path>"],
  flags: {
    dbUrl: { ...FLAGS.dbUrl, description: "PostgreSQL URL of the database the backup is restored for" },
    filestoreDir: { flags: "--filestore-dir <path>", description: "that database's filestore (<data_dir>/filestore/<db>)", configKey: "backups.filestoreDir" },
    swap: { flags: "--swap", description: "put the restored database in place; the old one becomes <db>_before_<run id>", parse: "boolean" },
  },
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
        onEvent: ctx.onEvent,
      }));
    } finally {
      await runner.close();
    }
  },
  render(r, out) {
    out.heading(`Restore ${r.source} for ${r.database}`);
    for (const s of r.steps) out.check(s);
    const where = r.swapped ? `${r.database} replaced; the old database is ${r.asideDatabase}` : r.restoredAs ? `restored as ${r.restoredAs}` : "nothing changed";
    if (r.failure) out.line(`  ${r.failure.message}`);
    out.verdict(r.ok, `${r.ok ? where : "restore failed: the original is untouched and nothing of this run is left"} (${formatDuration(r.durationMs)})`);
  },
});

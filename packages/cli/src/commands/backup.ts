import {
  backupDatabase,
  formatBytes,
  formatDuration,
  UsageError,
  type BackupFormat,
  type VerifyLevel,
} from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { databaseRunner, odooHostRunner } from "../runners.js";

/** `odoo-deploy backup`: a verified backup, published atomically. */
export default defineCommand({
  path: "backup",
  summary: "Back up an Odoo database (and its filestore), verify it, and publish it atomically",
  flags: {
    dbUrl: { ...FLAGS.dbUrl, description: "PostgreSQL URL of the database to back up" },
    out: { flags: "--out <dir>", description: "directory the backup is published in", configKey: "backups.directory" },
    filestoreDir: { flags: "--filestore-dir <path>", description: "the database's filestore (<data_dir>/filestore/<db>)", configKey: "backups.filestoreDir" },
    filestoreOn: { flags: "--filestore-on <host>", description: "where --filestore-dir is: local (default), database (database.runner's host) or odoo (odoo.runner's host)", choices: ["local", "database", "odoo"] },
    format: { flags: "--format <format>", description: "custom (pg_dump -Fc + filestore tar) or zip (Odoo's format)", configKey: "backups.format", choices: ["custom", "zip"] },
    verify: { flags: "--verify <level>", description: "verify before publishing: basic (default), restore, or none", choices: ["basic", "restore", "none"] },
    rowCounts: { flags: "--row-counts", description: "record exact row counts of every table (implied by --verify restore)", parse: "boolean" },
    meta: { flags: "--meta <key=value>", description: "deploy metadata recorded in the manifest (comma-separated key=value)", parse: "list" },
  },
  async run(ctx) {
    const s = ctx.settings;
    const dbUrl = s.database?.url;
    if (!dbUrl) throw new UsageError("backup needs a database: --db-url URL, database.url, or ODOO_DEPLOY_DATABASE_URL", { code: "MISSING_DB_URL" });
    const directory = s.backups?.directory;
    if (!directory) throw new UsageError("backup needs a destination: --out DIR or backups.directory", { code: "MISSING_BACKUP_DIR" });
    const metadata: Record<string, string> = {};
    for (const kv of ctx.flags.meta ?? []) {
      const i = kv.indexOf("=");
      if (i <= 0) throw new UsageError(`--meta: expected key=value, got "${kv}"`);
      metadata[kv.slice(0, i)] = kv.slice(i + 1);
    }
    const verify = ctx.flags.verify ?? "basic";
    const runner = databaseRunner(s);
    const on = ctx.flags.filestoreOn ?? "local";
    const filestoreRunner = on === "database" ? runner : on === "odoo" ? odooHostRunner(s) : undefined;
    try {
      return (await backupDatabase({
        dbUrl,
        directory,
        runner,
        format: (s.backups?.format ?? "custom") as BackupFormat,
        ...(s.backups?.filestoreDir ? { filestoreDir: s.backups.filestoreDir } : {}),
        ...(filestoreRunner ? { filestoreRunner } : {}),
        verify: verify === "none" ? false : (verify as VerifyLevel),
        rowCounts: ctx.flags.rowCounts === true,
        metadata,
        signal: ctx.signal,
        onEvent: ctx.onEvent,
      }));
    } finally {
      await runner.close();
      if (filestoreRunner && filestoreRunner !== runner) await filestoreRunner.close();
    }
  },
  render(r, out) {
    out.heading(`Backup of ${r.database} (${r.format})`);
    for (const c of r.steps) out.check(c);
    if (r.verification) for (const c of r.verification.checks) out.check({ ...c, name: `verify: ${c.name}` });
    if (r.failure) out.line(`  ${r.failure.message}`);
    out.verdict(r.ok, r.ok ? `published ${r.path} (${formatBytes(r.bytes)}) in ${formatDuration(r.durationMs)}` : "nothing was published");
  },
});

import { formatDuration, UsageError, verifyBackup, type VerifyLevel } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { databaseRunner } from "../runners.js";

/** `odoo-deploy backup verify PATH`: prove a backup good (exit 1 when a check fails). */
export default defineCommand({
  path: "backup verify",
  summary: "Verify a backup: checksums, a full read, Odoo tables, filestore vs attachments; --level restore restores it into a scratch database",
  args: ["<path>"],
  flags: {
    level: { flags: "--level <level>", description: "basic (default) or restore", choices: ["basic", "restore"] },
    dbUrl: { ...FLAGS.dbUrl, description: "a PostgreSQL server for the scratch restore of --level restore" },
  },
  async run(ctx) {
    const level: VerifyLevel = ctx.flags.level ?? "basic";
    const dbUrl = ctx.settings.database?.url;
    if (level === "restore" && !dbUrl) throw new UsageError("--level restore needs a server for the scratch database: --db-url URL", { code: "NO_SCRATCH_SERVER" });
    const runner = level === "restore" ? databaseRunner(ctx.settings) : undefined;
    try {
      return (await verifyBackup({
        path: ctx.args[0]!,
        level,
        ...(dbUrl ? { dbUrl } : {}),
        ...(runner ? { runner } : {}),
        signal: ctx.signal,
        onEvent: ctx.onEvent,
      }));
    } finally {
      await runner?.close();
    }
  },
  render(r, out) {
    out.heading(`Verify ${r.path} (${r.format}, level ${r.level})`);
    for (const c of r.checks) out.check(c);
    out.verdict(r.ok, r.ok ? `backup is good (${formatDuration(r.durationMs)})` : "backup is NOT good");
  },
});

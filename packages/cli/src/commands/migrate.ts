import path from "node:path";
import {
  formatDuration,
  migrateModules,
  parseDbUrl,
  UsageError,
} from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { odooBinRunner } from "../runners.js";

/** `odoo-deploy migrate`: run odoo-bin -u/-i and trust it only when exit code, log and database agree. */
export default defineCommand({
  path: "migrate",
  summary: "Update/install Odoo modules with odoo-bin, verified by exit code, log and database; records the deployed revision",
  flags: {
    dbName: { ...FLAGS.dbName, description: "Odoo database to update" },
    update: { flags: "--update <modules>", description: "modules to update (-u), comma-separated", parse: "list" },
    install: { flags: "--install <modules>", description: "modules to install (-i), comma-separated", parse: "list" },
    odooBin: FLAGS.odooBin,
    odooConfig: FLAGS.odooConfig,
    addonsPath: FLAGS.odooAddonsPath,
    dbUrl: { ...FLAGS.dbUrl, description: "PostgreSQL URL for locking, verification and records" },
    revision: { flags: "--revision <rev>", description: "git revision being deployed, recorded on success" },
    i18nOverwrite: { flags: "--i18n-overwrite", description: "overwrite existing translations", parse: "boolean" },
    timeout: { flags: "--timeout <duration>", description: "kill odoo-bin after this long (e.g. 30m)", parse: "duration" },
    lockTimeout: { flags: "--lock-timeout <duration>", description: "wait this long for another update holding the lock (default 10m)", parse: "duration" },
    allowRunning: { flags: "--allow-running", description: "run even when other sessions (a running Odoo) are connected", parse: "boolean" },
  },
  async run(ctx) {
    const s = ctx.settings;
    const givenUrl = s.database?.url;
    const dbName = s.database?.name ?? (givenUrl ? parseDbUrl(givenUrl).database : undefined);
    if (!dbName) {
      throw new UsageError("migrate needs the Odoo database: --db-name NAME (or database.name), or --db-url URL naming it", { code: "MISSING_DB_NAME" });
    }
    // Without a URL, libpq's PG* variables say where the server is (CONVENTIONS.md).
    const dbUrl = givenUrl ?? `postgres:///${encodeURIComponent(dbName)}`;
    const runner = odooBinRunner(s);
    try {
      const root = s.repo?.root ?? ".";
      const localAddonsPaths = s.repo?.addonsPaths?.map((p) => path.resolve(ctx.io.cwd, root, p));
      const f = ctx.flags;
      return (await migrateModules({
        runner,
        dbName,
        dbUrl,
        update: f.update ?? [],
        install: f.install ?? [],
        ...(s.odoo?.odooBin ? { odooBin: s.odoo.odooBin } : {}),
        ...(s.odoo?.configPath ? { odooConfig: s.odoo.configPath } : {}),
        ...(s.odoo?.addonsPath ? { addonsPath: s.odoo.addonsPath } : {}),
        ...(localAddonsPaths ? { localAddonsPaths } : {}),
        ...(f.revision ? { revision: f.revision } : {}),
        i18nOverwrite: f.i18nOverwrite === true,
        ...(f.timeout !== undefined ? { timeoutMs: f.timeout } : {}),
        ...(f.lockTimeout !== undefined ? { lockTimeoutMs: f.lockTimeout } : {}),
        allowRunning: f.allowRunning === true,
        signal: ctx.signal,
        onEvent: ctx.onEvent,
      }));
    } finally {
      await runner.close();
    }
  },
  render(r, out) {
    out.heading(`Migrate ${r.dbName} on ${r.runner}`);
    out.table([
      ["update", r.update.join(", ") || undefined],
      ["install", r.install.join(", ") || undefined],
      ["exit code", r.exitCode === undefined ? undefined : String(r.exitCode)],
      ["revision recorded", r.recorded.revision],
      ["checksums recorded", r.recorded.checksums === undefined ? undefined : String(r.recorded.checksums)],
    ]);
    for (const c of r.checks) out.check(c);
    for (const reason of r.reasons) out.line(`  - ${reason}`);
    out.verdict(r.ok, r.ok ? `in ${formatDuration(r.durationMs)}` : `${r.reasons.length} reason(s)`);
  },
});

/** Where odoo-bin runs, from `odoo.runner` and its settings. */

import path from "node:path";
import {
  formatDuration,
  migrateModules,
  parseDbUrl,
  UsageError,
  type MigrateEvent,
  type MigrateReport,
} from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { odooBinRunner } from "../runners.js";

/** `odoo-deploy migrate`: run odoo-bin -u/-i and trust it only when exit code, log and database agree. */
export default defineCommand<MigrateReport & Record<string, unknown>>({
  path: "migrate",
  summary: "Update/install Odoo modules with odoo-bin, verified by exit code, log and database; records the deployed revision",
  flags: [
    { flags: "--db-name <name>", description: "Odoo database to update", configKey: "database.name" },
    { flags: "--update <modules>", description: "modules to update (-u), comma-separated", parse: "list" },
    { flags: "--install <modules>", description: "modules to install (-i), comma-separated", parse: "list" },
    { flags: "--odoo-bin <path>", description: "odoo-bin to run (default odoo-bin on the runner's PATH)", configKey: "odoo.odooBin" },
    { flags: "--odoo-config <file>", description: "Odoo's config file, as the Odoo host sees it", configKey: "odoo.configPath" },
    { flags: "--addons-path <path>", description: "addons path as the Odoo host sees it (comma-separated)", configKey: "odoo.addonsPath" },
    { flags: "--db-url <url>", description: "PostgreSQL URL for locking, verification and records", configKey: "database.url" },
    { flags: "--revision <rev>", description: "git revision being deployed, recorded on success" },
    { flags: "--i18n-overwrite", description: "overwrite existing translations", parse: "boolean" },
    { flags: "--timeout <duration>", description: "kill odoo-bin after this long (e.g. 30m)", parse: "duration" },
    { flags: "--lock-timeout <duration>", description: "wait this long for another update holding the lock (default 10m)", parse: "duration" },
    { flags: "--allow-running", description: "run even when other sessions (a running Odoo) are connected", parse: "boolean" },
  ],
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
        update: (f.update as string[] | undefined) ?? [],
        install: (f.install as string[] | undefined) ?? [],
        ...(s.odoo?.odooBin ? { odooBin: s.odoo.odooBin } : {}),
        ...(s.odoo?.configPath ? { odooConfig: s.odoo.configPath } : {}),
        ...(s.odoo?.addonsPath ? { addonsPath: s.odoo.addonsPath } : {}),
        ...(localAddonsPaths ? { localAddonsPaths } : {}),
        ...(f.revision ? { revision: f.revision as string } : {}),
        i18nOverwrite: f.i18nOverwrite === true,
        ...(f.timeout !== undefined ? { timeoutMs: f.timeout as number } : {}),
        ...(f.lockTimeout !== undefined ? { lockTimeoutMs: f.lockTimeout as number } : {}),
        allowRunning: f.allowRunning === true,
        signal: ctx.signal,
        onEvent: ctx.onEvent as (e: MigrateEvent) => void,
      })) as MigrateReport & Record<string, unknown>;
    } finally {
      await runner.close();
    }
  },
  renderEvent(event, out) {
    const e = event as unknown as MigrateEvent;
    switch (e.type) {
      case "migrate:lock-wait":
        out.line(
          `waiting for another update of ${e.dbName} (held by ${e.holders.map((h) => `pid ${h.pid}${h.applicationName ? ` ${h.applicationName}` : ""}`).join(", ") || "another session"}), up to ${formatDuration(e.timeoutMs)}`,
        );
        return true;
      case "migrate:pending-before":
        out.line(`left pending by an earlier update (odoo-bin applies them now): ${e.modules.map((m) => `${m.name} (${m.state})`).join(", ")}`);
        return true;
      case "migrate:start":
        out.line(out.dim(`running on ${e.runner}: ${e.command}`));
        return true;
      case "migrate:module":
        out.progress(`loading ${e.module}`, e.index !== undefined && e.total ? e.index / e.total : undefined);
        return true;
      case "migrate:module-loaded":
        out.line(`  ${e.module} loaded in ${formatDuration(e.durationMs)}${e.queries !== undefined ? `, ${e.queries} queries` : ""}`);
        return true;
      case "migrate:log":
        out.line(`  ${e.level} ${e.logger}: ${e.message}`);
        return true;
      default:
        return false;
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

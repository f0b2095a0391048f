import { neutralizeDatabase, UsageError, type NeutralizeEvent, type NeutralizeReport } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { odooBinRunner } from "../runners.js";

/** `odoo-deploy neutralize`: `odoo-bin neutralize` made idempotent, verified, and rid of stored mail credentials. */
export default defineCommand<NeutralizeReport & Record<string, unknown>>({
  path: "neutralize",
  summary: "Neutralize a database copy with odoo-bin neutralize (idempotent), clear stored mail credentials, verify",
  flags: [
    { flags: "--db-name <name>", description: "Odoo database to neutralize", configKey: "database.name" },
    { flags: "--odoo-bin <path>", description: "odoo-bin to run (default odoo-bin on PATH)", configKey: "odoo.odooBin" },
    { flags: "--odoo-config <file>", description: "Odoo's own config file, as the Odoo host sees it", configKey: "odoo.configPath" },
    { flags: "--db-url <url>", description: "PostgreSQL URL reaching the database (checks, credentials)", configKey: "database.url" },
    { flags: "--force", description: "Run odoo-bin neutralize even when the database is already neutralized" },
    { flags: "--keep-credentials", description: "Keep the SMTP / fetchmail credentials Odoo leaves in clear text" },
  ],
  async run(ctx) {
    const s = ctx.settings;
    const dbName = s.database?.name;
    const dbUrl = s.database?.url;
    if (!dbName) throw new UsageError("neutralize needs --db-name NAME (or database.name)");
    if (!dbUrl) throw new UsageError("neutralize needs --db-url URL (or database.url, ODOO_DEPLOY_DATABASE_URL) to verify the result");
    const addonsPath = s.odoo?.addonsPath;
    const runner = odooBinRunner(s);
    try {
      return (await neutralizeDatabase({
      runner,
      dbName,
      dbUrl,
      ...(s.odoo?.odooBin ? { odooBin: s.odoo.odooBin } : {}),
      ...(s.odoo?.configPath ? { odooConfig: s.odoo.configPath } : {}),
      ...(addonsPath ? { addonsPaths: addonsPath.split(",").map((p) => p.trim()).filter(Boolean) } : {}),
      force: Boolean(ctx.flags.force),
      keepCredentials: Boolean(ctx.flags.keepCredentials),
      signal: ctx.signal,
      onEvent: ctx.onEvent as (e: NeutralizeEvent) => void,
    })) as NeutralizeReport & Record<string, unknown>;
    } finally {
      await runner.close();
    }
  },
  render(r, out) {
    out.heading(`Neutralize ${r.dbName}`);
    for (const c of [...r.steps, ...r.checks]) out.check(c);
    out.verdict(
      r.ok,
      r.ok ? (r.ran ? "neutralized and verified" : "already neutralized, verified") : r.missingModules.length ? "refused: modules missing from the addons path" : "not neutralized",
    );
  },
  renderEvent(e, out) {
    const ev = e as unknown as NeutralizeEvent;
    if (ev.type === "neutralize:log") {
      out.line(out.dim(ev.line));
      return true;
    }
    return ev.type === "neutralize:step";
  },
});

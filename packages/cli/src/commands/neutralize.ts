import { neutralizeDatabase, UsageError } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { odooBinRunner } from "../runners.js";

/** `odoo-deploy neutralize`: `odoo-bin neutralize` made idempotent, verified, and rid of stored mail credentials. */
export default defineCommand({
  path: "neutralize",
  summary: "Neutralize a database copy with odoo-bin neutralize (idempotent), clear stored mail credentials, verify",
  flags: {
    dbName: { ...FLAGS.dbName, description: "Odoo database to neutralize" },
    odooBin: FLAGS.odooBin,
    odooConfig: FLAGS.odooConfig,
    dbUrl: { ...FLAGS.dbUrl, description: "PostgreSQL URL reaching the database (checks, credentials)" },
    force: { ...FLAGS.force, description: "Run odoo-bin neutralize even when the database is already neutralized" },
    keepCredentials: { flags: "--keep-credentials", description: "Keep the SMTP / fetchmail credentials Odoo leaves in clear text", parse: "boolean" },
  },
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
      force: ctx.flags.force === true,
      keepCredentials: ctx.flags.keepCredentials === true,
      signal: ctx.signal,
      onEvent: ctx.onEvent,
    }));
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
});

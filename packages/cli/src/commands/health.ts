import { parseDuration, UsageError, waitForHealthy } from "@odoo-deploy/core";
import { defineCommand } from "../command.js";

/** `odoo-deploy health`: waits until the Odoo server is healthy (and the database's registry loads) or the deadline passes. */
export default defineCommand({
  path: "health",
  summary: "Wait until an Odoo server answers /web/health (and /web/login?db= for --db-name) or the timeout passes",
  flags: {
    url: { flags: "--url <url>", description: "Base URL of the Odoo server", configKey: "health.url" },
    dbName: { flags: "--db-name <name>", description: "Database whose login page must load (proof its registry loads)", configKey: "health.dbName" },
    timeout: { flags: "--timeout <duration>", description: "Total deadline (default 2m)", configKey: "health.timeout", parse: "duration" },
  },
  async run(ctx) {
    const url = ctx.settings.health?.url;
    if (!url) throw new UsageError("health needs the server's URL: --url BASE_URL, health.url in odoo-deploy.yaml, or ODOO_DEPLOY_HEALTH_URL");
    const dbName = ctx.settings.health?.dbName;
    const timeout = ctx.settings.health?.timeout;
    return (await waitForHealthy({
      url,
      ...(dbName ? { dbName } : {}),
      timeoutMs: timeout === undefined ? 120_000 : parseDuration(timeout),
      signal: ctx.signal,
      onEvent: ctx.onEvent,
    }));
  },
  render(r, out) {
    out.heading(`Health of ${r.url}${r.dbName ? ` (database ${r.dbName})` : ""}`);
    const last = r.checks.at(-1);
    if (last) out.check(last);
    out.verdict(r.ok, r.ok ? `healthy after ${r.attempts} attempt(s)` : (r.reason ?? "not healthy"));
  },
});

/**
 * A pre-deploy gate for your own deploy script: refuse to deploy onto a database that an earlier update
 * left half-migrated (modules still `to upgrade` / `to install` / `to remove` — Odoo exits 0 in that case).
 *
 *   ODOO_DB_URL=postgres://odoo@db/prod npx tsx examples/preflight.ts
 */
import { EnvironmentError, formatDuration, inspectDatabase } from "@odoo-deploy/core";

export async function preflight(dbUrl: string, signal?: AbortSignal): Promise<boolean> {
  const report = await inspectDatabase({ dbUrl, ...(signal ? { signal } : {}) });
  console.error(`Odoo ${report.odooVersion ?? "?"} on PostgreSQL ${report.serverVersion} (${formatDuration(report.durationMs)})`);
  if (report.deployedRevision) console.error(`last deployed revision: ${report.deployedRevision}`);
  for (const check of report.checks.filter((c) => c.status === "failed")) console.error(`✘ ${check.name}: ${check.detail}`);
  return report.ok;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const url = process.env.ODOO_DB_URL;
  if (!url) {
    console.error("set ODOO_DB_URL");
    process.exit(2);
  }
  try {
    process.exit((await preflight(url)) ? 0 : 1);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(e instanceof EnvironmentError ? 3 : 1);
  }
}

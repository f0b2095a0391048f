import { throwIfAborted } from "../errors.js";
import { durationSince, type Check, type EventHandler, type ReportBase } from "../report.js";
import { redactUrl } from "../util/redact.js";
import { parseDbUrl, withClient } from "./connection.js";
import { DEPLOYED_IMAGE_KEY, DEPLOYED_REVISION_KEY, getConfigParameter } from "./odoo-params.js";
import { listDeploys } from "../deploy/list.js";
import { PENDING_MODULE_STATES } from "../migrate/verify.js";

/** Events of {@link inspectDatabase}. */
export type InspectEvent = { type: "inspect:connected"; serverVersion: string };

/** Options of {@link inspectDatabase}. */
export interface InspectDatabaseOptions {
  /** PostgreSQL URL of the Odoo database. */
  dbUrl: string;
  /** The backups directory: its deploy journal is read for deploys of this database a crash left unfinished. */
  backupDir?: string;
  signal?: AbortSignal;
  onEvent?: EventHandler<InspectEvent>;
}

/** Module counts by `ir_module_module.state`. */
export type ModuleStateCounts = Record<string, number>;

/** What {@link inspectDatabase} found. */
export interface InspectReport extends ReportBase {
  /** Redacted URL. */
  database: string;
  serverVersion: string;
  isOdoo: boolean;
  /** `latest_version` of the `base` module, e.g. "16.0.1.3". */
  odooVersion?: string;
  /** Odoo series derived from the base version, e.g. "16.0". */
  odooSeries?: string;
  moduleStates: ModuleStateCounts;
  /** Modules left in `to upgrade` / `to install` / `to remove`: a half-finished update. */
  pendingModules: { name: string; state: string }[];
  deployedRevision?: string;
  /** `odoo_deploy.deployed_image`: the image (or revision) last deployed. */
  deployedImage?: string;
  neutralized: boolean;
  tableCount: number;
  /** Deploys or rollbacks of this database a crash left unfinished (with `backupDir`): the service may be stopped. */
  unfinishedDeploys?: { id: string; kind: string; status: string; during: string }[];
  checks: Check[];
}

/**
 * Reads an Odoo database's state without changing it: Odoo version, module states, pending (half-applied)
 * module operations, the deployed revision odoo-deploy recorded, and whether it was neutralized. `ok` is
 * false when it is not an Odoo database or modules are left in a pending state.
 *
 * @example
 * const report = await inspectDatabase({ dbUrl: "postgres:///odoo_prod?host=/run/postgresql" });
 * if (!report.ok) console.error(report.checks.filter((c) => c.status === "failed"));
 */
export async function inspectDatabase(options: InspectDatabaseOptions): Promise<InspectReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  parseDbUrl(options.dbUrl);
  return withClient(
    options.dbUrl,
    async (client) => {
      const serverVersion = (await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;
      options.onEvent?.({ type: "inspect:connected", serverVersion });
      const tableCount = Number(
        (
          await client.query<{ n: string }>(
            "SELECT count(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
          )
        ).rows[0]!.n,
      );
      const hasModules =
        (await client.query("SELECT 1 FROM pg_tables WHERE schemaname = 'public' AND tablename = 'ir_module_module'"))
          .rowCount === 1;
      const checks: Check[] = [];
      const base: InspectReport = {
        ok: false,
        durationMs: 0,
        database: redactUrl(options.dbUrl),
        serverVersion,
        isOdoo: hasModules,
        moduleStates: {},
        pendingModules: [],
        neutralized: false,
        tableCount,
        checks,
      };
      if (!hasModules) {
        checks.push({ name: "odoo-database", status: "failed", detail: "no table ir_module_module: not an Odoo database" });
        return { ...base, durationMs: durationSince(start) };
      }
      checks.push({ name: "odoo-database", status: "ok" });
      throwIfAborted(options.signal);
      const states = await client.query<{ state: string; n: string }>(
        "SELECT state, count(*) AS n FROM ir_module_module GROUP BY state ORDER BY state",
      );
      const moduleStates = Object.fromEntries(states.rows.map((r) => [r.state, Number(r.n)]));
      const pending = await client.query<{ name: string; state: string }>(
        "SELECT name, state FROM ir_module_module WHERE state = ANY($1) ORDER BY name",
        [PENDING_MODULE_STATES],
      );
      const baseVersion = (
        await client.query<{ v: string | null }>("SELECT latest_version AS v FROM ir_module_module WHERE name = 'base'")
      ).rows[0]?.v;
      const deployedRevision = await getConfigParameter(client, DEPLOYED_REVISION_KEY);
      const deployedImage = await getConfigParameter(client, DEPLOYED_IMAGE_KEY);
      const unfinished = options.backupDir ? await unfinishedDeploys(options.backupDir, (await client.query<{ d: string }>("SELECT current_database() AS d")).rows[0]!.d) : undefined;
      if (unfinished?.length) {
        checks.push({
          name: "no-unfinished-deploy",
          status: "failed",
          detail: `${unfinished.map((u) => `${u.kind} ${u.id} interrupted during ${u.during}`).join("; ")}: the service may be stopped; run odoo-deploy deploy or rollback to finish it`,
        });
      } else if (unfinished) checks.push({ name: "no-unfinished-deploy", status: "ok" });
      // Odoo's neutralize.sql stores the boolean true as text: 'true'.
      const neutralized = (await getConfigParameter(client, "database.is_neutralized"))?.toLowerCase() === "true";
      checks.push(
        pending.rowCount === 0
          ? { name: "no-pending-modules", status: "ok" }
          : {
              name: "no-pending-modules",
              status: "failed",
              detail: `modules left half-updated: ${pending.rows.map((r) => `${r.name} (${r.state})`).join(", ")}`,
            },
      );
      const series = baseVersion?.match(/^(\d+\.\d+)/)?.[1];
      return {
        ...base,
        ok: checks.every((c) => c.status !== "failed"),
        durationMs: durationSince(start),
        ...(baseVersion ? { odooVersion: baseVersion } : {}),
        ...(series ? { odooSeries: series } : {}),
        moduleStates,
        pendingModules: pending.rows,
        ...(deployedRevision ? { deployedRevision } : {}),
        ...(deployedImage ? { deployedImage } : {}),
        ...(unfinished ? { unfinishedDeploys: unfinished } : {}),
        neutralized,
      };
    },
    { signal: options.signal, applicationName: "odoo-deploy inspect" },
  );
}

async function unfinishedDeploys(backupDir: string, database: string): Promise<{ id: string; kind: string; status: string; during: string }[]> {
  const { deploys } = await listDeploys({ backupDir, database });
  return deploys.filter((d) => d.interruptedDuring).map((d) => ({ id: d.id, kind: d.kind, status: d.status, during: d.interruptedDuring! }));
}

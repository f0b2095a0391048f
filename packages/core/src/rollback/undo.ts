/**
 * Undoing a deploy from what its journal says happened, idempotently: run after a failure, after a crash (the
 * journal names the step under way) or again after a crash of the undo itself, it ends with the previous code
 * serving the pre-deploy database and filestore, and says what it did.
 */
import { withClient, withDatabase } from "../db/connection.js";
import { OdooDeployError } from "../errors.js";
import { OWN_APPLICATION_PREFIX } from "../migrate/sessions.js";
import type { Check } from "../report.js";
import type { HealthReport } from "../health/wait-for-healthy.js";
import { siblingFilestore } from "../deploy/filestore-ops.js";
import { checkServiceHealth } from "../deploy/health.js";
import { deployNames, type DeployJournal, type DeployJournalEntry } from "../deploy/journal.js";
import { began, JournaledSteps } from "../deploy/journaled.js";
import { allowConnections, dropDeployDatabase } from "../deploy/rollback-point.js";
import { putBackPreDeployState } from "./put-back.js";
import type { DeployTargetOptions } from "../deploy/types.js";

/** What {@link undoDeploy} did. */
export interface UndoOutcome {
  ok: boolean;
  steps: Check[];
  health?: HealthReport;
  /** Whether anything had changed (a deploy that failed before stopping the service needs no undo). */
  needed: boolean;
}

/**
 * Rolls a deploy back according to its journal entry: stops the new service if it was started, ends a
 * migration a killed run left going, puts the rollback point (or else the pre-deploy backup) back under the
 * database's name with the migrated one kept as `<db>_failed_<id>`, the filestore snapshot likewise, starts
 * the previous image/revision and checks its health. The signal is only honoured between runs: a rollback
 * under way is finished, since stopping half-way would leave less than either state.
 *
 * @example const undo = await undoDeploy(options, journal, entry, "migrate failed");
 */
export async function undoDeploy(o: DeployTargetOptions, journal: DeployJournal, entry: DeployJournalEntry, reason: string): Promise<UndoOutcome> {
  // Decided from the deploy's own steps before the rollback writes any of its own.
  const stopped = began(entry, "stop");
  const started = began(entry, "start");
  const migrated = began(entry, "migrate");
  if (!stopped) return { ok: true, steps: [], needed: false };
  entry.status = "rolling-back";
  entry.rollback = { reason, steps: entry.rollback?.steps ?? [] };
  // A rollback is not stopped half-way by the signal that stopped the deploy; it only reports it.
  const steps = new JournaledSteps("rollback", journal, entry, o.onEvent, undefined);
  const names = deployNames(entry.database, entry.id);
  const database = entry.database;
  let health: HealthReport | undefined;
  try {
    if (started) await steps.must("stop-new", () => o.service.stop(), () => `${o.service.description} stopped`);
    if (migrated) {
      await steps.must("end-migration", async () => {
        const killed = (await o.service.stopMigrations?.({ "odoo-deploy.deploy": entry.id })) ?? 0;
        const ended = await terminateSessions(o.dbUrl, database);
        return `${killed} migration container(s) removed, ${ended} session(s) ended`;
      }, (d) => d);
      if (await putBackPreDeployState(o, steps, entry, names.failed)) {
        // The clone is the live database now: no longer a rollback point to keep or drop.
        entry.rollbackPoint = undefined;
      } else {
        await steps.record({ name: "restore-database", status: "failed", detail: "no rollback point and no backup: the database stays as the migration left it" });
        throw new RollbackIncomplete();
      }
    } else if (began(entry, "rollback-point")) {
      // Nothing was migrated: the database is as it was, the clone (whole, or half-made by a killed run) is not needed.
      const point = entry.rollbackPoint?.database ?? names.rollbackPoint;
      const snapshot = entry.rollbackPoint?.filestore ?? (o.filestore ? siblingFilestore(o.filestore.dir, names.rollbackPoint) : undefined);
      await steps.must("drop-rollback-point", async () => {
        await allowConnections(o.dbUrl, [database]);
        await dropDeployDatabase(o.dbUrl, point, snapshot && o.filestore ? { runner: o.filestore.runner, dir: snapshot } : undefined);
        entry.rollbackPoint = undefined;
        return `${point} dropped: the database was not changed`;
      }, (d) => d);
    }
    const previous = { ...(entry.from.image ? { image: entry.from.image } : {}), ...(entry.from.imageId ? { imageId: entry.from.imageId } : {}), ...(entry.from.revision ? { revision: entry.from.revision } : {}) };
    await steps.must("start-previous", () => o.service.start(previous), () => `${o.service.description} on ${entry.from.image ?? entry.from.revision ?? "the code it ran"}`);
    if (o.healthUrl) {
      health = await steps.must("health", () => checkServiceHealth({ url: o.healthUrl!, dbName: database, ...(o.healthTimeoutMs ? { timeoutMs: o.healthTimeoutMs } : {}), ...(o.smokePaths ? { smokePaths: o.smokePaths } : {}) }), (h) => `healthy after ${h.attempts} attempt(s)`);
    } else await steps.skip("health", "no health URL");
    entry.status = "rolled-back";
    entry.rollback.ok = true;
    await steps.save();
    return { ok: true, steps: steps.steps, ...(health ? { health } : {}), needed: true };
  } catch (e) {
    entry.status = "failed";
    entry.rollback.ok = false;
    await steps.save().catch(() => {});
    // A step that failed (judged, or the environment's) is in the steps; anything else is a bug.
    if (e instanceof RollbackIncomplete || e instanceof OdooDeployError) return { ok: false, steps: steps.steps, ...(health ? { health } : {}), needed: true };
    throw e;
  }
}

class RollbackIncomplete extends Error {}

/** Ends every session on the database but odoo-deploy's (a migration a killed run left, a service not stopped). */
async function terminateSessions(dbUrl: string, database: string): Promise<number> {
  return withClient(
    withDatabase(dbUrl, "postgres"),
    async (c) =>
      (
        await c.query<{ ok: boolean }>(
          "SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND coalesce(application_name, '') NOT LIKE $2",
          [database, `${OWN_APPLICATION_PREFIX}%`],
        )
      ).rows.filter((r) => r.ok).length,
    { applicationName: "odoo-deploy rollback" },
  );
}

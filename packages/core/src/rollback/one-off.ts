/**
 * The steps of a one-off rollback (`odoo-deploy rollback`), recorded in its own journal entry so that a crash
 * half-way is finished by running any deploy or rollback again: the service stopped, the deploy's rollback
 * point (or its pre-deploy backup) swapped in with the current database kept aside, the filestore likewise,
 * the previous image/revision started, health.
 */
import { OdooDeployError } from "../errors.js";
import type { HealthReport } from "../health/wait-for-healthy.js";
import type { Check } from "../report.js";
import type { DeployJournal, DeployJournalEntry } from "../deploy/journal.js";
import { JournaledSteps } from "../deploy/journaled.js";
import { putBackPreDeployState } from "./put-back.js";
import { serviceHealth } from "../deploy/tail.js";
import type { DeployTargetOptions } from "../deploy/types.js";

/** What {@link performOneOffRollback} did. */
export interface OneOffOutcome {
  ok: boolean;
  steps: Check[];
  health?: HealthReport;
}

/**
 * Runs (or, after a crash, finishes) the one-off rollback `r` of deploy `d`. Each step checks the state it
 * finds, so running it twice is harmless. When a step fails before the database was swapped, the service is
 * started again on what it ran before the rollback; after the swap, it is left stopped and the report says so.
 *
 * @example const out = await performOneOffRollback(options, journal, rollbackEntry, deployEntry);
 */
export async function performOneOffRollback(o: DeployTargetOptions, journal: DeployJournal, r: DeployJournalEntry, d: DeployJournalEntry): Promise<OneOffOutcome> {
  r.status = "running";
  const steps = new JournaledSteps("rollback", journal, r, o.onEvent, undefined);
  const database = r.database;
  const aside = r.failedDatabase!;
  let swapped = r.rollback?.steps.some((s) => s.name === "restore-database" && s.status === "ok") ?? false;
  let health: HealthReport | undefined;
  try {
    await steps.must("stop", () => o.service.stop(), () => `${o.service.description} stopped`);
    swapped = (await putBackPreDeployState(o, steps, r, aside)) || swapped;
    await steps.must("start-previous", () => o.service.start(codeOf(r.to)), () => `${o.service.description} on ${r.to.image ?? r.to.revision ?? "the previous code"}`);
    if (o.healthUrl) health = await steps.must("health", () => serviceHealth(o, database), (h) => `healthy after ${h.attempts} attempt(s)`);
    else await steps.skip("health", "no health URL");
    d.undoneBy = r.id;
    // The rollback point is the live database now.
    d.rollbackPoint = undefined;
    await journal.save(d);
    r.rollbackPoint = undefined;
    r.status = "succeeded";
    r.endedAt = new Date().toISOString();
    await steps.save();
    return { ok: true, steps: steps.steps, ...(health ? { health } : {}) };
  } catch (e) {
    if (!(e instanceof OdooDeployError)) {
      r.status = "failed";
      await steps.save().catch(() => {});
      throw e;
    }
    if (!swapped && steps.steps.some((s) => s.name === "stop")) {
      // Nothing was swapped: the service goes back to what it ran before this rollback.
      await steps.must("restart-current", () => o.service.start(codeOf(r.from)), () => `${o.service.description} on ${r.from.image ?? r.from.revision ?? "its code"} again`).catch(() => {});
    }
    r.status = "failed";
    r.endedAt = new Date().toISOString();
    await steps.save();
    return { ok: false, steps: steps.steps, ...(health ? { health } : {}) };
  }
}

/** Finishes a one-off rollback a crash interrupted. @example await finishOneOffRollback(options, journal, entry) */
export async function finishOneOffRollback(o: DeployTargetOptions, journal: DeployJournal, r: DeployJournalEntry): Promise<boolean> {
  const d = await journal.load(r.undoes!);
  return (await performOneOffRollback(o, journal, r, d)).ok;
}

function codeOf(c: DeployJournalEntry["to"]) {
  return { ...(c.image ? { image: c.image } : {}), ...(c.imageId ? { imageId: c.imageId } : {}), ...(c.revision ? { revision: c.revision } : {}) };
}

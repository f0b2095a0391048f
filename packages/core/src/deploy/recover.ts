/**
 * Finishing what a killed deploy or rollback left: the next deploy or rollback of the same database (holding
 * the deploy lock, so the other run is dead) reads the unfinished journal entries and, for each, resumes it
 * (its migration had succeeded: start, health, records) or rolls it back, so the service never stays stopped
 * without saying so.
 */
import { undoDeploy } from "../rollback/undo.js";
import { finishOneOffRollback } from "../rollback/one-off.js";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import { deployNames, type DeployJournal, type DeployJournalEntry } from "./journal.js";
import { began, JournaledSteps, succeeded } from "./journaled.js";
import { recordDeployed, serviceHealth, targetOf } from "./tail.js";
import type { DeployTargetOptions } from "./types.js";

/**
 * Recovers every unfinished entry of `database`, oldest first, as the step `recover` of the caller; returns
 * their ids. `prefer: "resume"` (a deploy) resumes an interrupted deploy whose migration had succeeded;
 * `"rollback"` (a rollback) always undoes it.
 *
 * @example const recovered = await recoverUnfinished(options, journal, "prod", "resume", steps);
 */
export async function recoverUnfinished<A extends "deploy" | "rollback">(
  o: DeployTargetOptions,
  journal: DeployJournal,
  database: string,
  prefer: "resume" | "rollback",
  steps: JournaledSteps<A>,
): Promise<string[]> {
  const unfinished = (await journal.list()).filter((e) => e.database === database && (e.status === "running" || e.status === "rolling-back"));
  if (unfinished.length === 0) return [];
  const outcomes: string[] = [];
  await steps.must(
    "recover",
    async () => {
      for (const e of unfinished) outcomes.push(`${e.id}: ${await recoverOne(o, journal, e, prefer)}`);
      return outcomes.join("; ");
    },
    (d) => d,
  );
  return unfinished.map((e) => e.id);
}

async function recoverOne(o: DeployTargetOptions, journal: DeployJournal, e: DeployJournalEntry, prefer: "resume" | "rollback"): Promise<string> {
  await removeHalfWrittenBackup(o.backupDir, deployNames(e.database, e.id).backup);
  const during = e.rollback?.current?.name ?? e.current?.name;
  const why = `interrupted${during ? ` during ${during}` : ""} (pid ${e.pid} on ${e.host})`;
  if (e.kind === "rollback") {
    o.onEvent?.({ type: "deploy:recovering", id: e.id, status: e.status, action: "rollback" });
    const ok = await finishOneOffRollback(o, journal, e);
    return ok ? `the interrupted rollback was finished` : `the interrupted rollback could not be finished: see ${e.id}`;
  }
  if (!began(e, "stop")) {
    o.onEvent?.({ type: "deploy:recovering", id: e.id, status: e.status, action: "abandon" });
    e.status = "abandoned";
    e.endedAt = new Date().toISOString();
    await journal.save(e);
    return `${why} before the service was stopped: nothing had changed`;
  }
  const migrated = succeeded(e, "migrate") || e.steps.some((s) => s.name === "migrate" && s.status === "skipped");
  const failedStep = e.steps.find((s) => s.status === "failed");
  if (prefer === "resume" && e.status === "running" && migrated && !failedStep) {
    o.onEvent?.({ type: "deploy:recovering", id: e.id, status: e.status, action: "resume" });
    if (await resume(o, journal, e)) return `${why} after its migration: resumed, the new code serves`;
    const undo = await undoDeploy(o, journal, e, `${why}; resuming failed`);
    return undo.ok ? `${why}; resuming failed, rolled back` : `${why}; resuming and rolling back failed: see the journal`;
  }
  o.onEvent?.({ type: "deploy:recovering", id: e.id, status: e.status, action: "rollback" });
  const undo = await undoDeploy(o, journal, e, why);
  return undo.ok ? `${why}: rolled back, the previous code serves` : `${why}: the rollback failed, see the journal`;
}

/**
 * The hidden work directory of a backup the killed deploy was writing: `.NAME.partial` as claimBackupName makes
 * it, or `.NAME-N.partial` when the name was taken (NAME carries the deploy id, so only this deploy's match).
 */
async function removeHalfWrittenBackup(backupDir: string, name: string): Promise<void> {
  const ours = new RegExp(`^\\.${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(-\\d+)?\\.partial$`);
  for (const n of await readdir(backupDir).catch(() => [] as string[])) {
    if (ours.test(n)) await rm(path.join(backupDir, n), { recursive: true, force: true });
  }
}

/** Start, health and records of a deploy whose migration succeeded before the crash; false when one fails. */
async function resume(o: DeployTargetOptions, journal: DeployJournal, e: DeployJournalEntry): Promise<boolean> {
  const steps = new JournaledSteps("deploy", journal, e, o.onEvent, o.signal);
  steps.recorder.steps.push(...e.steps);
  try {
    await steps.must("start", () => o.service.start(targetOf(e)), () => `${o.service.description} on ${e.to.image ?? e.to.revision ?? "the new code"} (resumed)`);
    if (o.healthUrl) await steps.must("health", () => serviceHealth(o, e.database), (h) => `healthy after ${h.attempts} attempt(s)`);
    await steps.must("record", () => recordDeployed(o, e.database, e.update.length + e.install.length > 0, e), (d) => d);
  } catch (err) {
    if (steps.recorder.judged(err)) return false;
    throw err;
  }
  e.status = "succeeded";
  e.endedAt = new Date().toISOString();
  await steps.save();
  await o.service.commit?.().catch(() => {});
  return true;
}

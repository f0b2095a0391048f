/**
 * `rollbackDeploy`: the one-off rollback run at 2 a.m. — undo the last deploy (or a named one) in seconds,
 * from its rollback point, after saying what it would lose and refusing when the rollback point does not fit
 * the code it would start.
 */
import { existsSync } from "node:fs";
import { asideDatabaseName } from "../db/swap.js";
import { parseDbUrl, withClient, withDatabase } from "../db/connection.js";
import { OperationFailedError, throwIfAborted, UsageError } from "../errors.js";
import { durationSince } from "../report.js";
import { redactUrl } from "../util/redact.js";
import { DeployJournal, newDeployId, type DeployJournalEntry } from "../deploy/journal.js";
import { JournaledSteps } from "../deploy/journaled.js";
import { acquireDeployLock, type DeployLock } from "../deploy/lock.js";
import { notify } from "../deploy/notify.js";
import { recoverUnfinished } from "../deploy/recover.js";
import { existing } from "../deploy/rollback-point.js";
import type { RollbackDeployOptions, RollbackReport } from "../deploy/types.js";
import { describeRowsWritten, rowsWrittenSince } from "./data-since.js";
import { performOneOffRollback } from "./one-off.js";

/**
 * Undoes a deploy: by default the last successful one of the database; `to` names another. First, with
 * nothing changed: unfinished deploys are finished (a rollback with no `to` stops there — that was the
 * rollback); the rows written since the deploy ended are counted per table from Odoo's `create_date` /
 * `write_date` (refused when there are any, unless `acceptDataLoss`: they stay in the replaced database,
 * `<db>_before_<ts>`); the rollback point's installed modules and versions must be those the previous code ran
 * with, and its image must be present. Then: stop, swap the rollback point in (else restore the pre-deploy
 * backup), the filestore snapshot likewise, start the previous image/revision, health.
 *
 * @example
 * const r = await rollbackDeploy({ dbUrl, backupDir: "/var/backups/odoo", service: createDockerService({ container: "odoo" }),
 *   healthUrl: "http://localhost:8069" });
 * if (!r.ok) console.error(r.failure?.message); // e.g. "would lose rows written since 14:02: mail_message 30"
 */
export async function rollbackDeploy(o: RollbackDeployOptions): Promise<RollbackReport> {
  const started = performance.now();
  throwIfAborted(o.signal);
  const database = parseDbUrl(o.dbUrl).database;
  if (!database) throw new UsageError(`the database URL names no database: ${redactUrl(o.dbUrl)}`, { code: "BAD_DB_URL" });
  const journal = new DeployJournal(o.backupDir);
  const rollbackId = newDeployId();
  const entry = DeployJournal.begin({ id: rollbackId, kind: "rollback", database, service: { kind: o.service.kind, description: o.service.description }, from: {}, to: {}, update: [], install: [] });
  const steps = new JournaledSteps("rollback", undefined, entry, o.onEvent, o.signal);
  const report: RollbackReport = { ok: false, durationMs: 0, id: o.to ?? "", rollbackId, database, rolledBack: false, dryRun: o.dryRun === true, to: {}, steps: steps.steps, rowsSince: [], recovered: [], warnings: [], journal: "" };
  const finish = async (ok: boolean): Promise<RollbackReport> => {
    Object.assign(report, { ok, durationMs: durationSince(started), steps: steps.steps });
    if (steps.recorder.failure) report.failure = steps.recorder.failure;
    if (o.notifyUrl && !o.dryRun) {
      report.notified = await notify(o.notifyUrl, { kind: "rollback", id: report.id, rollbackId, database, ok, rolledBack: report.rolledBack, failure: report.failure ? { code: report.failure.code, message: report.failure.message } : undefined, durationMs: report.durationMs });
    }
    return report;
  };

  let lock: DeployLock;
  try {
    lock = await steps.recorder.must("lock", () => acquireDeployLock(o.dbUrl, database, o.lockTimeoutMs ?? 0, `rollback ${rollbackId}`, o.signal), () => "no other deploy or rollback of this database runs");
  } catch (e) {
    if (steps.recorder.judged(e)) return finish(false);
    throw e;
  }
  try {
    if (!o.dryRun) {
      report.recovered = await recoverUnfinished(o, journal, database, "rollback", steps);
      if (report.recovered.length && !o.to) {
        // The interrupted deploy, rolled back, was what there was to undo.
        report.id = report.recovered.at(-1)!;
        report.rolledBack = steps.recorder.ok;
        return await finish(steps.recorder.ok);
      }
    }
    const d = await target(journal, database, o.to);
    report.id = d.id;
    report.to = d.from;
    const source = await steps.recorder.must("source", () => rollbackSource(o, d), (s) => s.describe);
    const endedAt = new Date(d.endedAt ?? d.startedAt);
    report.rowsSince = await steps.recorder.must(
      "data-loss",
      async () => {
        const rows = await withClient(withDatabase(o.dbUrl, database), (c) => rowsWrittenSince(c, endedAt), { applicationName: "odoo-deploy rollback" });
        if (rows.length && !o.acceptDataLoss) {
          report.rowsSince = rows;
          throw new OperationFailedError(
            `the rollback would lose the rows written since ${endedAt.toISOString()} (when deploy ${d.id} ended): ${describeRowsWritten(rows)}; pass --accept-data-loss to roll back anyway (they stay in the replaced database)`,
            { code: "DATA_LOSS", details: { rows } },
          );
        }
        return rows;
      },
      (rows) => (rows.length ? `accepted: ${describeRowsWritten(rows)} written since ${endedAt.toISOString()} stay in the replaced database` : `nothing written since ${endedAt.toISOString()}`),
    );
    await steps.recorder.must("fit", () => checkFit(o, d, source), (x) => x);
    if (o.dryRun) {
      report.warnings.push("dry run: nothing was changed");
      return await finish(true);
    }

    Object.assign(entry, {
      undoes: d.id,
      from: d.to,
      to: d.from,
      failedDatabase: asideDatabaseName(database),
      ...(source.point ? { rollbackPoint: source.point } : {}),
      ...(source.backup ? { backup: source.backup } : {}),
      ...(o.filestore ? { filestoreDir: o.filestore.dir } : {}),
      steps: [...steps.steps],
    });
    steps.journal = journal;
    report.journal = `${journal.dir}/${rollbackId}.json`;
    await steps.save();
    const out = await performOneOffRollback(o, journal, entry, d);
    steps.recorder.steps.push(...out.steps);
    report.rolledBack = out.ok;
    report.asideDatabase = entry.failedDatabase;
    if (out.health) report.health = out.health;
    if (!out.ok && !steps.recorder.failure) {
      const failed = out.steps.find((s) => s.status === "failed");
      report.failure = { step: failed?.name ?? "rollback", code: "ROLLBACK_FAILED", message: failed?.detail ?? "the rollback failed", details: {} };
    }
    return await finish(out.ok);
  } catch (e) {
    if (steps.recorder.judged(e)) return finish(false);
    throw e;
  } finally {
    await lock.release();
  }
}

/** The deploy to undo: `id`, or the last successful deploy of the database not undone yet. */
async function target(journal: DeployJournal, database: string, id: string | undefined): Promise<DeployJournalEntry> {
  if (id) {
    const d = await journal.load(id);
    if (d.database !== database) throw new UsageError(`deploy ${id} is of database ${d.database}, not ${database}`, { code: "DEPLOY_OTHER_DATABASE" });
    if (d.kind !== "deploy") throw new UsageError(`${id} is a rollback, not a deploy`, { code: "NOT_A_DEPLOY" });
    if (d.undoneBy) throw new UsageError(`deploy ${id} was already undone by ${d.undoneBy}`, { code: "ALREADY_UNDONE" });
    if (d.status !== "succeeded") throw new UsageError(`deploy ${id} is ${d.status}: there is nothing of it to undo`, { code: "NOTHING_TO_UNDO" });
    return d;
  }
  const last = (await journal.list()).filter((e) => e.database === database && e.kind === "deploy" && e.status === "succeeded" && !e.undoneBy).at(-1);
  if (!last) throw new UsageError(`no deploy of ${database} to undo in ${journal.dir}`, { code: "NOTHING_TO_UNDO" });
  return last;
}

interface RollbackSource {
  point?: NonNullable<DeployJournalEntry["rollbackPoint"]>;
  backup?: NonNullable<DeployJournalEntry["backup"]>;
  describe: string;
}

/** The deploy's rollback point when it still exists, else its pre-deploy backup. */
async function rollbackSource(o: RollbackDeployOptions, d: DeployJournalEntry): Promise<RollbackSource> {
  if (d.rollbackPoint && !d.rollbackPointDropped && (await existing(o.dbUrl, [d.rollbackPoint.database])).has(d.rollbackPoint.database)) {
    return { point: d.rollbackPoint, describe: `rollback point ${d.rollbackPoint.database} of ${d.rollbackPoint.createdAt}` };
  }
  if (d.backup && existsSync(d.backup.path)) return { backup: d.backup, describe: `no rollback point left; the pre-deploy backup ${d.backup.path}` };
  throw new OperationFailedError(`deploy ${d.id} left nothing to go back to: its rollback point ${d.rollbackPointDropped ? "was dropped by retention" : "is gone"} and it has no backup`, { code: "NO_ROLLBACK_SOURCE" });
}

/**
 * The rollback point's installed modules and versions must be those the previous code ran with (recorded at the
 * deploy's preflight), and the previous image must be present: otherwise the code started would not fit the
 * database put back.
 */
async function checkFit(o: RollbackDeployOptions, d: DeployJournalEntry, source: RollbackSource): Promise<string> {
  const expected = d.from.modules;
  let actual: Record<string, string> | undefined;
  if (source.point) {
    actual = await withClient(
      withDatabase(o.dbUrl, source.point.database),
      async (c) => Object.fromEntries((await c.query<{ name: string; v: string | null }>("SELECT name, latest_version AS v FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove')")).rows.map((r) => [r.name, r.v ?? ""])),
      { applicationName: "odoo-deploy rollback" },
    );
  }
  const problems: string[] = [];
  if (expected && actual) {
    for (const [name, v] of Object.entries(expected)) {
      if (!(name in actual)) problems.push(`${name} ${v} is not installed in the rollback point`);
      else if (actual[name] !== v) problems.push(`${name} is ${actual[name]} in the rollback point, the previous code ran ${v}`);
    }
    for (const name of Object.keys(actual)) if (!(name in expected)) problems.push(`${name} is installed in the rollback point, not with the previous code`);
  }
  const image = d.from.imageId ?? d.from.image;
  if (image && o.service.prepare) {
    await o.service.prepare({ image }, o.signal).catch((e: unknown) => problems.push(`the previous image ${d.from.image ?? image} cannot be had: ${(e as Error).message}`));
  }
  if (problems.length) {
    throw new OperationFailedError(`the rollback point does not fit the code it would start: ${problems.slice(0, 10).join("; ")}`, { code: "ROLLBACK_MISFIT", details: { problems } });
  }
  return `${expected ? Object.keys(expected).length : 0} modules at the versions ${d.from.image ?? d.from.revision ?? "the previous code"} ran${image ? "; the image is present" : ""}`;
}

/**
 * `deployOdoo`: a release from a green build to production as one call — preflight, a verified backup while
 * Odoo still serves, stop, a rollback point, the migration with the new code, start, health, records — and,
 * after a failure at any step from the stop on, the automatic rollback. Every step is written to the journal
 * as it starts and ends, so a crash is finished by the next run.
 */
import { backupDatabase } from "../backup/backup.js";
import { parseDbUrl, withClient, withDatabase } from "../db/connection.js";
import { recordDeployed, serviceHealth, targetOf } from "./tail.js";
import { AbortedError, OdooDeployError, OperationFailedError, throwIfAborted, UsageError } from "../errors.js";
import { migrateModules } from "../migrate/migrate.js";
import { otherSessions, describeSessions } from "../migrate/sessions.js";
import { durationSince } from "../report.js";
import { formatDuration } from "../util/duration.js";
import { createLocalRunner } from "../runner/local.js";
import { redactUrl } from "../util/redact.js";
import { undoDeploy } from "../rollback/undo.js";
import { describeDeploy } from "./dry-run.js";
import { siblingFilestore } from "./filestore-ops.js";
import { DeployJournal, deployNames, newDeployId, type DeployJournalEntry } from "./journal.js";
import { JournaledSteps } from "./journaled.js";
import { acquireDeployLock, type DeployLock } from "./lock.js";
import { notify } from "./notify.js";
import { runPreflight, type Preflight } from "./preflight.js";
import { recoverUnfinished } from "./recover.js";
import { applyRetention } from "./retention.js";
import { createRollbackPoint } from "./rollback-point.js";
import type { DeployOdooOptions, DeployReport } from "./types.js";

/**
 * Deploys the code of `to` (and, for Docker services, `image`) to the database of `dbUrl`:
 * 1. preflight (nothing changes before step 3): the deploy lock, unfinished deploys finished, the database and
 *    the service reachable, the image pulled, the plan from the deployed revision, room on disk;
 * 2. a verified backup while Odoo still serves (only when something is migrated, unless `backup: "always"`);
 * 3. the service stopped, all of it, and the database left by every session;
 * 4. a rollback point: a clone of the stopped database and a hard-link snapshot of its filestore;
 * 5. `odoo-bin -u/-i --stop-after-init` with the NEW code (a one-off container of the new image, or odoo-bin on
 *    the Odoo host), verified as {@link migrateModules} verifies;
 * 6. the service started on the new image/revision; 7. health with the database, and the smoke paths;
 * 8. the deployed revision, image and checksums recorded, the journal closed, older rollback points dropped.
 * A failure from step 3 on is rolled back (unless `rollback: false`): the report is `ok: false` with
 * `rolledBack`, the failure and the rollback's own steps. An abort is rolled back too, then thrown.
 *
 * @example
 * const r = await deployOdoo({ dbUrl, repo: ".", addonsPaths: ["addons"], image: "ghcr.io/acme/odoo:sha-3f2c1e0",
 *   service: createDockerService({ container: "odoo" }), backupDir: "/var/backups/odoo",
 *   healthUrl: "http://localhost:8069", odooBin: "odoo", odooConfig: "/etc/odoo/odoo.conf" });
 * if (!r.ok) console.error(r.failure?.message, r.rolledBack ? "(rolled back)" : "");
 */
export async function deployOdoo(o: DeployOdooOptions): Promise<DeployReport> {
  const started = performance.now();
  throwIfAborted(o.signal);
  const database = parseDbUrl(o.dbUrl).database;
  if (!database) throw new UsageError(`the database URL names no database: ${redactUrl(o.dbUrl)}`, { code: "BAD_DB_URL" });
  const keep = o.keepRollbackPoints ?? 1;
  if (!Number.isInteger(keep) || keep < 1) throw new UsageError("keepRollbackPoints must be a whole number >= 1", { code: "BAD_KEEP" });
  const id = newDeployId();
  const names = deployNames(database, id);
  const journal = new DeployJournal(o.backupDir);
  const entry = DeployJournal.begin({
    id,
    kind: "deploy",
    database,
    service: { kind: o.service.kind, description: o.service.description },
    from: {},
    to: { ...(o.image ? { image: o.image } : {}), ...(o.to ? { revision: o.to } : {}) },
    update: [],
    install: [],
    ...(o.filestore ? { filestoreDir: o.filestore.dir } : {}),
  });
  const steps = new JournaledSteps("deploy", undefined, entry, o.onEvent, o.signal);
  const warnings: string[] = [];
  const report: DeployReport = { ok: false, durationMs: 0, id, database, status: "running", rolledBack: false, dryRun: o.dryRun === true, from: {}, to: entry.to, steps: steps.steps, recovered: [], warnings, journal: "" };
  const warn = (message: string) => {
    warnings.push(message);
    o.onEvent?.({ type: "deploy:warning", message });
  };
  const finish = async (ok: boolean): Promise<DeployReport> => {
    Object.assign(report, { ok, durationMs: durationSince(started), status: o.dryRun ? report.status : entry.status, from: entry.from, to: entry.to });
    if (steps.recorder.failure) report.failure = steps.recorder.failure;
    if (o.notifyUrl && !o.dryRun) report.notified = await notify(o.notifyUrl, notification(report));
    return report;
  };

  if (o.dryRun) return finish(await describeDeploy(o, database, names, id, report, steps));

  let lock: DeployLock;
  try {
    lock = await steps.must("lock", () => acquireDeployLock(o.dbUrl, database, o.lockTimeoutMs ?? 0, `deploy ${id}`, o.signal), () => "no other deploy or rollback of this database runs");
  } catch (e) {
    if (!steps.recorder.judged(e)) throw e;
    entry.status = "failed";
    return finish(false);
  }
  steps.journal = journal;
  report.journal = `${journal.dir}/${id}.json`;
  try {
    report.recovered = await recoverUnfinished(o, journal, database, "resume", steps);
    const pre = await steps.must("preflight", () => runPreflight(o, database, names.rollbackPoint, id), (p) => `plan: install [${p.plan.install.join(", ")}], update [${p.plan.update.join(", ")}]${p.plan.cascade.length ? `, cascade [${p.plan.cascade.join(", ")}]` : ""}`);
    report.plan = pre.plan;
    pre.warnings.forEach(warn);
    Object.assign(entry, { from: pre.from, to: pre.to, update: pre.plan.update, install: pre.plan.install });
    await steps.save();

    if (pre.migrating || o.backup === "always") {
      const backup = await steps.must("backup", () => takeBackup(o, database, entry, names.backup), (b) => `${b.path} (verified)`);
      report.backup = backup;
      entry.backup = { path: backup.path! };
      await steps.save();
    } else await steps.skip("backup", "nothing to migrate (use backup: always to take one anyway)");

    const stoppedAt = performance.now();
    try {
      await stopAndDrain(o, database, steps);
      await takeRollbackPoint(o, database, names, id, pre, entry, steps, warn);
      await migrate(o, database, pre, entry, report, steps);
      await steps.must("start", () => o.service.start(targetOf(entry)), () => `${o.service.description} on ${entry.to.image ?? entry.to.revision ?? "the new code"}`);
      if (o.healthUrl) {
        report.health = await steps.must("health", () => serviceHealth(o, database), (h) => `healthy after ${h.attempts} attempt(s)`);
      } else await steps.skip("health", "no health URL given");
      report.downtimeMs = durationSince(stoppedAt);
      await steps.must("record", () => recordDeployed(o, database, pre.migrating, entry), (d) => d);
    } catch (e) {
      const aborted = e instanceof AbortedError || o.signal?.aborted === true;
      if (o.rollback === false) {
        entry.status = "failed";
        await steps.save();
        warn(`not rolled back (rollback disabled): the service may be stopped or on the new code; \`odoo-deploy rollback --to ${id}\` goes back`);
        if (aborted || !(e instanceof OdooDeployError)) throw e;
        return await finish(false);
      }
      const reason = failureReason(e);
      const undo = await undoDeploy(o, journal, entry, reason);
      report.rollback = { steps: undo.steps, ok: undo.ok };
      report.rolledBack = undo.ok && undo.needed;
      if (undo.ok) report.downtimeMs = durationSince(stoppedAt);
      if (!report.failure && !steps.recorder.failure && e instanceof OdooDeployError) {
        report.failure = { step: entry.steps.at(-1)?.name ?? "deploy", code: e.code, message: e.message, details: e.details };
      }
      if (aborted) throw new AbortedError(`deploy ${id} aborted; ${undo.ok ? "rolled back" : "the rollback failed, see the journal"}`, { details: { id, rolledBack: report.rolledBack } });
      if (!(e instanceof OdooDeployError)) throw e;
      return await finish(false);
    }

    entry.status = "succeeded";
    entry.endedAt = new Date().toISOString();
    await steps.save();
    await o.service.commit?.(o.signal).catch((e: unknown) => warn(`the previous container could not be removed: ${(e as Error).message}`));
    const dropped = await applyRetention(o, journal, database, keep, warn);
    if (dropped.length) {
      entry.dropped = dropped;
      await steps.save();
    }
    return await finish(true);
  } catch (e) {
    // Before the stop nothing changed: a judged failure is a not-ok report, anything else is thrown.
    if (entry.status === "running") entry.status = "failed";
    entry.endedAt ??= new Date().toISOString();
    await steps.save().catch(() => {});
    if (steps.recorder.judged(e)) return finish(false);
    throw e;
  } finally {
    await lock.release();
  }
}

async function takeBackup(o: DeployOdooOptions, database: string, entry: DeployJournalEntry, name: string) {
  const fs = o.filestore;
  const r = await backupDatabase({
    dbUrl: withDatabase(o.dbUrl, database),
    directory: o.backupDir,
    name,
    ...(o.backupFormat ? { format: o.backupFormat } : {}),
    ...(fs ? (fs.runner.kind === "local" ? { filestoreDir: fs.dir } : { filestoreDir: fs.dir, filestoreRunner: fs.runner }) : {}),
    ...(o.databaseRunner ? { runner: o.databaseRunner } : {}),
    verify: "basic",
    metadata: {
      deployId: entry.id,
      ...(entry.from.revision ? { fromRevision: entry.from.revision } : {}),
      ...(entry.from.image ? { fromImage: entry.from.image } : {}),
      ...(entry.to.revision ? { toRevision: entry.to.revision } : {}),
      ...(entry.to.image ? { toImage: entry.to.image } : {}),
    },
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
  if (!r.ok || !r.path) throw new OperationFailedError(`the pre-deploy backup failed: ${r.failure?.message ?? r.steps.filter((s) => s.status === "failed").map((s) => `${s.name}: ${s.detail ?? ""}`).join("; ")}`, { code: "BACKUP_FAILED" });
  return r;
}

/** Stops the service and waits until no session but odoo-deploy's is left on the database (workers, cron). */
async function stopAndDrain(o: DeployOdooOptions, database: string, steps: JournaledSteps<"deploy">): Promise<void> {
  await steps.must(
    "stop",
    async () => {
      const t0 = performance.now();
      await o.service.stop(o.signal);
      const stopped = durationSince(t0);
      const deadline = Date.now() + (o.drainTimeoutMs ?? 30_000);
      for (;;) {
        const others = await withClient(withDatabase(o.dbUrl, database), otherSessions, { applicationName: "odoo-deploy deploy" });
        if (others.length === 0) return `${o.service.description} stopped in ${formatDuration(stopped)}, no session left on ${database} after ${formatDuration(durationSince(t0) - stopped)}`;
        if (Date.now() > deadline) {
          throw new OperationFailedError(`sessions still connected to ${database} after the service stopped: ${describeSessions(others)}`, { code: "SESSIONS_LEFT" });
        }
        await new Promise((r) => setTimeout(r, 250));
      }
    },
    (d) => d,
  );
}

async function takeRollbackPoint(
  o: DeployOdooOptions,
  database: string,
  names: { rollbackPoint: string },
  id: string,
  pre: Preflight,
  entry: DeployJournalEntry,
  steps: JournaledSteps<"deploy">,
  warn: (m: string) => void,
): Promise<void> {
  if (!pre.migrating) return steps.skip("rollback-point", "nothing to migrate: the database is not changed");
  if (pre.cloneUnavailable) {
    entry.rollbackPointUnavailable = pre.cloneUnavailable;
    return steps.skip("rollback-point", `${pre.cloneUnavailable}; a rollback restores the backup`);
  }
  // A clone that cannot be made is not a failed deploy: the backup taken in step 2 is the way back.
  const point = await steps.optional(
    "rollback-point",
    () =>
      createRollbackPoint({
        dbUrl: o.dbUrl,
        database,
        name: names.rollbackPoint,
        deployId: id,
        ...(o.filestore ? { filestore: { ...o.filestore, snapshot: siblingFilestore(o.filestore.dir, names.rollbackPoint) } } : {}),
        ...(o.signal ? { signal: o.signal } : {}),
      }),
    (p) => `${p.database}${p.filestore ? ` and ${p.filestore}` : ""}`,
  );
  if (point) entry.rollbackPoint = point;
  else {
    entry.rollbackPointUnavailable = steps.steps.at(-1)?.detail ?? "the clone failed";
    warn(`no rollback point: ${entry.rollbackPointUnavailable}; a rollback restores the backup`);
  }
  await steps.save();
}

async function migrate(o: DeployOdooOptions, database: string, pre: Preflight, entry: DeployJournalEntry, report: DeployReport, steps: JournaledSteps<"deploy">): Promise<void> {
  if (!pre.migrating) return steps.skip("migrate", "nothing to update or install");
  const runner = (await o.service.migrationRunner(targetOf(entry), { labels: { "odoo-deploy.deploy": entry.id } })) ?? o.odooRunner ?? createLocalRunner();
  try {
    report.migrate = await steps.must(
      "migrate",
      async () => {
        const r = await migrateModules({
          runner,
          dbName: database,
          dbUrl: withDatabase(o.dbUrl, database),
          update: pre.plan.update,
          install: pre.plan.install,
          i18nOverwrite: pre.plan.i18nOverwrite.length > 0,
          ...(o.odooBin ? { odooBin: o.odooBin } : {}),
          ...(o.odooConfig ? { odooConfig: o.odooConfig } : {}),
          ...(o.odooAddonsPath ? { addonsPath: o.odooAddonsPath } : {}),
          ...(o.odooEnv ? { env: o.odooEnv } : {}),
          ...(pre.localAddonsPaths ? { localAddonsPaths: pre.localAddonsPaths } : {}),
          ...(entry.to.revision ? { revision: entry.to.revision } : {}),
          ...(o.migrateTimeoutMs ? { timeoutMs: o.migrateTimeoutMs } : {}),
          lockTimeoutMs: o.lockTimeoutMs ?? 0,
          ...(o.signal ? { signal: o.signal } : {}),
          ...(o.onEvent ? { onEvent: o.onEvent } : {}),
        });
        report.migrate = r;
        if (!r.ok) throw new OperationFailedError(`the migration failed: ${r.reasons.join("; ")}`, { code: "MIGRATE_FAILED", details: { reasons: r.reasons } });
        return r;
      },
      (r) => `${[...r.update, ...r.install].join(", ")} at their new versions (odoo-bin exit ${r.exitCode})`,
    );
  } finally {
    if (runner !== o.odooRunner) await runner.close();
  }
}

function failureReason(e: unknown): string {
  if (e instanceof AbortedError) return "aborted";
  return e instanceof Error ? e.message : String(e);
}

/** The JSON a notification carries: the outcome, never a secret (URLs are not in it). */
function notification(r: DeployReport) {
  return {
    kind: "deploy",
    id: r.id,
    database: r.database,
    ok: r.ok,
    status: r.status,
    rolledBack: r.rolledBack,
    from: { image: r.from.image, revision: r.from.revision },
    to: { image: r.to.image, revision: r.to.revision },
    failure: r.failure ? { step: r.failure.step, code: r.failure.code, message: r.failure.message } : undefined,
    steps: r.steps.map((s) => ({ name: s.name, status: s.status })),
    durationMs: r.durationMs,
    downtimeMs: r.downtimeMs,
  };
}

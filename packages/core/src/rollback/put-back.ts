/**
 * Putting the pre-deploy state back under the database's name, shared by the automatic rollback and the
 * one-off one: the rollback point swapped in (the filestore snapshot likewise), or else the pre-deploy backup
 * restored with swap; the replaced database and filestore kept aside, their names written to the entry.
 */
import { restoreDatabase } from "../backup/restore.js";
import { withDatabase } from "../db/connection.js";
import { OperationFailedError } from "../errors.js";
import { siblingFilestore } from "../deploy/filestore-ops.js";
import type { DeployJournalEntry } from "../deploy/journal.js";
import type { JournaledSteps } from "../deploy/journaled.js";
import { restoreRollbackPointDatabase, restoreRollbackPointFilestore } from "../deploy/rollback-point.js";
import type { DeployTargetOptions } from "../deploy/types.js";

/**
 * Runs the steps `restore-database` and `restore-filestore` from `entry.rollbackPoint`, or `restore-database`
 * from `entry.backup`; false when the entry has neither (nothing was done).
 *
 * @example if (!(await putBackPreDeployState(o, steps, entry, "prod_failed_x"))) …
 */
export async function putBackPreDeployState<A extends "deploy" | "rollback">(o: DeployTargetOptions, steps: JournaledSteps<A>, entry: DeployJournalEntry, asideName: string): Promise<boolean> {
  const database = entry.database;
  if (entry.rollbackPoint) {
    const point = entry.rollbackPoint;
    await steps.must("restore-database", () => restoreRollbackPointDatabase({ dbUrl: o.dbUrl, database, point, asideName }), (d) => d);
    entry.failedDatabase = asideName;
    if (point.filestore && o.filestore) {
      const aside = siblingFilestore(o.filestore.dir, asideName);
      await steps.must("restore-filestore", () => restoreRollbackPointFilestore(o.filestore!, point.filestore!, aside), (d) => d);
      entry.failedFilestore = aside;
    } else await steps.skip("restore-filestore", point.filestore ? "no filestore location given" : "the rollback point has no filestore snapshot");
    return true;
  }
  if (!entry.backup) return false;
  const backup = entry.backup;
  await steps.must(
    "restore-database",
    async () => {
      const r = await restoreDatabase({
        path: backup.path,
        dbUrl: withDatabase(o.dbUrl, database),
        swap: true,
        ...(o.filestore && o.filestore.runner.kind === "local" ? { filestoreDir: o.filestore.dir } : {}),
        ...(o.databaseRunner ? { runner: o.databaseRunner } : {}),
      });
      if (!r.ok) throw new OperationFailedError(r.failure?.message ?? "restoring the pre-deploy backup failed", { code: r.failure?.code ?? "RESTORE_FAILED", details: { steps: r.steps } });
      if (r.asideDatabase) entry.failedDatabase = r.asideDatabase;
      if (r.asideFilestoreDir) entry.failedFilestore = r.asideFilestoreDir;
      return `restored the pre-deploy backup ${backup.path}${r.asideDatabase ? `; the database it replaced is ${r.asideDatabase}` : ""}`;
    },
    (d) => d,
  );
  return true;
}

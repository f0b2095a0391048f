/**
 * Retention of what deploys leave on the database server: rollback points and the databases of rolled-back
 * migrations (kept for forensics), the newest `keep` of each kind per database. The database a one-off
 * rollback replaced (`<db>_before_<ts>`) is never dropped: it holds what was written since. Only names recorded in the
 * journal are dropped: nothing is dropped for merely looking like ours.
 */
import { siblingFilestore } from "./filestore-ops.js";
import type { DeployJournal } from "./journal.js";
import { dropDeployDatabase } from "./rollback-point.js";
import type { DeployTargetOptions } from "./types.js";

/**
 * Drops the rollback points and failed databases of `database` beyond the newest `keep` of each; returns the
 * names dropped. A drop that fails (someone is connected) is a warning, retried by the next deploy.
 *
 * @example const dropped = await applyRetention(options, journal, "prod", 1, console.warn);
 */
export async function applyRetention(o: DeployTargetOptions, journal: DeployJournal, database: string, keep: number, warn: (m: string) => void): Promise<string[]> {
  const entries = (await journal.list()).filter((e) => e.database === database && e.status !== "running" && e.status !== "rolling-back").reverse();
  const dropped: string[] = [];
  const points = entries.filter((e) => e.rollbackPoint && !e.rollbackPointDropped);
  for (const e of points.slice(keep)) {
    const p = e.rollbackPoint!;
    try {
      await dropDeployDatabase(o.dbUrl, p.database, p.filestore && o.filestore ? { runner: o.filestore.runner, dir: p.filestore } : undefined);
      e.rollbackPointDropped = new Date().toISOString();
      await journal.save(e);
      dropped.push(p.database);
    } catch (err) {
      warn(`rollback point ${p.database} of deploy ${e.id} kept: ${(err as Error).message}`);
    }
  }
  // A one-off rollback's replaced database holds what was written since its deploy: never dropped by retention.
  const failed = entries.filter((e) => e.kind === "deploy" && e.failedDatabase && !e.failedDropped);
  for (const e of failed.slice(keep)) {
    const name = e.failedDatabase!;
    try {
      const fs = e.failedFilestore ?? (o.filestore ? siblingFilestore(o.filestore.dir, name) : undefined);
      await dropDeployDatabase(o.dbUrl, name, fs && o.filestore ? { runner: o.filestore.runner, dir: fs } : undefined);
      e.failedDropped = new Date().toISOString();
      await journal.save(e);
      dropped.push(name);
    } catch (err) {
      warn(`failed database ${name} of deploy ${e.id} kept: ${(err as Error).message}`);
    }
  }
  return dropped;
}

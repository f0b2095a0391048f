/**
 * Putting the old staging back: after a new one failed its health check, or after a run was killed between the
 * stop and the proof of health. The same recoverable swap as the way in, in the other direction; the unproven
 * copy is then dropped (a rerun rebuilds it, and it holds nothing anyone made).
 */
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { databaseExists, fitDatabaseName, newRunId, pathExists, prepareSwap, quoteIdent, withClient, withDatabase } from "@odoo-deploy/core";

/** Where the old staging was put aside. */
export interface AsideStaging {
  dbUrl: string;
  database: string;
  journalDir: string;
  /** The refresh that put it aside (names the failed copy). */
  id: string;
  asideDatabase: string;
  filestoreDir?: string;
  asideFilestoreDir?: string;
}

/**
 * Swaps the aside staging back into place and drops the copy it replaces. Returns false when there is nothing to
 * put back (the aside database does not exist: the swap never happened).
 *
 * @example if (await swapBack({ dbUrl, database, journalDir, id, asideDatabase })) console.log("old staging back");
 */
export async function swapBack(o: AsideStaging): Promise<boolean> {
  if (!(await databaseExists(o.dbUrl, o.asideDatabase))) return false;
  const failed = fitDatabaseName(o.database, `_failed_${o.id}`);
  let filestore: { dir: string; replacement: string; aside: string; ownsReplacement: false } | undefined;
  if (o.filestoreDir && o.asideFilestoreDir) {
    // The old staging had no filestore directory: an empty one stands for it, so the copy's files move away too.
    if (!(await pathExists(o.asideFilestoreDir))) await mkdir(o.asideFilestoreDir, { recursive: true, mode: 0o700 });
    filestore = { dir: o.filestoreDir, replacement: o.asideFilestoreDir, aside: path.join(path.dirname(o.filestoreDir), failed), ownsReplacement: false };
  }
  const back = await prepareSwap({ dbUrl: o.dbUrl, database: o.database, journalDir: o.journalDir, id: newRunId(), replacement: o.asideDatabase, ownsReplacement: false, asideName: failed, ...(filestore ? { filestore } : {}) });
  try {
    await back.commit();
  } catch (e) {
    await back.release();
    throw e;
  }
  await withClient(withDatabase(o.dbUrl, "postgres"), async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(failed)} WITH (FORCE)`)), { applicationName: "odoo-deploy refresh-staging" });
  if (filestore) await rm(filestore.aside, { recursive: true, force: true });
  return true;
}

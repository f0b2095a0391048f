import { removeLeftoverDatabases, removeLeftoverWorkDirs, type LeftoverDatabases, type LeftoverWorkDirs } from "@odoo-deploy/core";

/** Prefix of the anonymizer's work directories in the system's temporary directory. */
export const WORK_DIR_PREFIX = "odoo-deploy-anon-";

/** What a run found left by killed runs, and removed. */
export interface AnonymizeLeftovers {
  databases: LeftoverDatabases;
  workDirs: LeftoverWorkDirs;
}

/**
 * Removes what killed runs left: odoo-deploy's temporary databases on the target's server and the anonymizer's
 * work directories on this host, each only when provably abandoned (see core's temporary.ts and work-dir.ts).
 *
 * @example const left = await removeAnonymizeLeftovers(targetUrl, "odoo-deploy anonymize", signal);
 */
export async function removeAnonymizeLeftovers(targetUrl: string, applicationName: string, signal: AbortSignal | undefined): Promise<AnonymizeLeftovers> {
  const databases = await removeLeftoverDatabases({ url: targetUrl, applicationName, ...(signal ? { signal } : {}) });
  return { databases, workDirs: removeLeftoverWorkDirs(WORK_DIR_PREFIX) };
}

/** The step detail: what was removed (and what was left to live runs). @example describeLeftovers(left) */
export function describeLeftovers(left: AnonymizeLeftovers): string {
  const removed = [...left.databases.removed.map((d) => `database ${d}`), ...left.workDirs.removed.map((d) => `work directory ${d}`)];
  const live = left.databases.kept.length;
  const kept = live ? `; ${live} temporary database(s) of other runs left alone (${left.databases.kept.map((k) => `${k.database}: ${k.reason}`).join("; ")})` : "";
  return `${removed.length ? `removed what killed runs left: ${removed.join(", ")}` : "nothing left by killed runs"}${kept}`;
}

/**
 * The end of a deploy, shared by a deploy and by the resumption of one a crash interrupted after its migration:
 * health on the new code, and the records of what runs now.
 */
import { withClient, withDatabase } from "../db/connection.js";
import { DEPLOYED_IMAGE_KEY, DEPLOYED_REVISION_KEY, setConfigParameter } from "../db/odoo-params.js";
import type { ServiceTarget } from "../service/types.js";
import { checkServiceHealth } from "./health.js";
import type { DeployJournalEntry } from "./journal.js";
import type { DeployOdooOptions, DeployTargetOptions } from "./types.js";

/** Health of the started service with the database, and the smoke paths. */
export function serviceHealth(o: DeployTargetOptions, database: string) {
  return checkServiceHealth({
    url: o.healthUrl!,
    dbName: database,
    ...(o.healthTimeoutMs ? { timeoutMs: o.healthTimeoutMs } : {}),
    ...(o.smokePaths ? { smokePaths: o.smokePaths } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onEvent ? { onEvent: o.onEvent } : {}),
  });
}

/**
 * Records what runs now: the image (or revision) always; the revision too when migrate did not record it
 * (nothing was migrated).
 */
export async function recordDeployed(o: Pick<DeployOdooOptions, "dbUrl">, database: string, migrated: boolean, entry: DeployJournalEntry): Promise<string> {
  const image = entry.to.image ?? entry.to.revision;
  const done: string[] = [];
  await withClient(
    withDatabase(o.dbUrl, database),
    async (c) => {
      if (image) {
        await setConfigParameter(c, DEPLOYED_IMAGE_KEY, image);
        done.push(`${DEPLOYED_IMAGE_KEY} = ${image}`);
      }
      if (!migrated && entry.to.revision) {
        await setConfigParameter(c, DEPLOYED_REVISION_KEY, entry.to.revision);
        done.push(`${DEPLOYED_REVISION_KEY} = ${entry.to.revision}`);
      } else if (entry.to.revision) done.push(`${DEPLOYED_REVISION_KEY} = ${entry.to.revision} (by migrate)`);
    },
    { applicationName: "odoo-deploy deploy" },
  );
  return done.join("; ") || "nothing to record";
}

/** What the service is started on for the deploy's new code. */
export function targetOf(entry: DeployJournalEntry): ServiceTarget {
  return { ...(entry.to.image ? { image: entry.to.image } : {}), ...(entry.to.revision ? { revision: entry.to.revision } : {}) };
}

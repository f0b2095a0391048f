import { UsageError } from "@odoo-deploy/core/base";
import type { RefreshReport, RefreshStagingOptions } from "./types.js";

/**
 * Refreshes a staging database (and filestore) from production or from a backup: anonymized, neutralized, set up
 * for staging, swapped in only once complete, verified; the old staging serves until the swap and again after any
 * failure. (Being built: issue 19.)
 *
 * @example
 * const r = await refreshStaging({ sourceUrl, targetUrl, preset: "odoo", secret, service, healthUrl });
 */
export async function refreshStaging(options: RefreshStagingOptions): Promise<RefreshReport> {
  void options;
  throw new UsageError("refreshStaging is not built yet", { code: "NOT_BUILT" });
}

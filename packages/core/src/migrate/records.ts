import { recordInstalledChecksums } from "../addons/checksum.js";
import type { AddonInfo } from "../addons/discover.js";
import type { Queryable } from "../db/connection.js";

/**
 * Stores click-odoo-update's `module_auto_update.installed_checksums` for the installed modules among
 * `addons` (from `discoverAddons` over the local addons paths); returns how many were stored, or
 * `undefined` when no addons are known (nothing is written then).
 *
 * @example const n = await recordChecksums(client, await discoverAddons({ addonsPaths: ["addons"] }));
 */
export async function recordChecksums(db: Queryable, addons: ReadonlyMap<string, AddonInfo> | undefined): Promise<number | undefined> {
  if (!addons || addons.size === 0) return undefined;
  const stored = await recordInstalledChecksums({ db, addonDirs: Object.fromEntries([...addons].map(([name, a]) => [name, a.dir])) });
  return Object.keys(stored).length;
}

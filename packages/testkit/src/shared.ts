import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above this package's src). */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

/**
 * The shared data folder: `ODOO_DEPLOY_SHARED`, else `../shared` beside the repository root. `undefined`
 * when it does not exist.
 *
 * @example const lab = sharedPath("odoo16-lab/demo-data.dump");
 */
export function sharedDir(): string | undefined {
  const dir = process.env.ODOO_DEPLOY_SHARED
    ? path.resolve(process.env.ODOO_DEPLOY_SHARED)
    : path.resolve(repoRoot, "../shared");
  return existsSync(dir) ? dir : undefined;
}

/** A path inside the shared data folder, or `undefined` when the folder or the file is missing. */
export function sharedPath(relative: string): string | undefined {
  const dir = sharedDir();
  if (!dir) return undefined;
  const p = path.join(dir, relative);
  return existsSync(p) ? p : undefined;
}

/** The real Odoo 16 database dump (pg_dump -Fc) of ../shared/odoo16-lab. */
export const LAB_DUMP = "odoo16-lab/demo-data.dump";
/** The Odoo series the shared folder holds a real database of (../shared/odoo16-lab, odoo17-lab, odoo18-lab). */
export const LAB_VERSIONS = ["16.0", "17.0", "18.0"] as const;
/** One of {@link LAB_VERSIONS}. */
export type LabVersion = (typeof LAB_VERSIONS)[number];
/** The lab folder of a series: `odoo17-lab` for 17.0. @example labDir("18.0") // "odoo18-lab" */
export function labDir(version: LabVersion): string {
  return `odoo${version.split(".")[0]}-lab`;
}
/** The real database dump of a series (`odoo17-lab/demo-data.dump`). */
export function labDump(version: LabVersion): string {
  return `${labDir(version)}/demo-data.dump`;
}
/** The real Odoo 16 filestore archive (`odoo_prod/<2 hex>/<sha1>`). */
export const LAB_FILESTORE = "odoo16-lab/filestore-odoo_prod.tar.gz";
/** Real odoo-bin logs. */
export const LAB_LOGS = "odoo16-lab/logs";

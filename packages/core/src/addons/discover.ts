import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { OperationFailedError, throwIfAborted, UsageError } from "../errors.js";
import { parseManifest, type AddonManifest } from "./manifest.js";

/** Manifest file names, in the order Odoo looks for them. */
export const MANIFEST_NAMES = ["__manifest__.py", "__openerp__.py"] as const;

/** One addon found on disk. */
export interface AddonInfo {
  /** Module name: the directory's name. */
  name: string;
  /** Absolute directory of the addon. */
  dir: string;
  /** The addons path it was found in (as given). */
  addonsPath: string;
  /** `__manifest__.py` or `__openerp__.py`. */
  manifestFile: string;
  manifest: AddonManifest;
}

/** Options of {@link discoverAddons}. */
export interface DiscoverAddonsOptions {
  /** Directories holding addons; relative ones are resolved against `cwd`. */
  addonsPaths: readonly string[];
  cwd?: string;
  signal?: AbortSignal;
}

/**
 * Finds the addons in several addons paths: each directory (or symlink to one) holding `__manifest__.py`
 * (or `__openerp__.py`). A module name found in two paths is an error naming both; a missing addons path is
 * a usage error.
 *
 * @example
 * const addons = await discoverAddons({ addonsPaths: ["addons", "vendor/oca-web"], cwd: repoDir });
 * addons.get("web_responsive")?.manifest.depends // ["web"]
 */
export async function discoverAddons(options: DiscoverAddonsOptions): Promise<Map<string, AddonInfo>> {
  const found = new Map<string, AddonInfo>();
  for (const given of options.addonsPaths) {
    throwIfAborted(options.signal);
    const root = path.resolve(options.cwd ?? process.cwd(), given);
    let names: string[];
    try {
      names = (await readdir(root)).sort();
    } catch (e) {
      throw new UsageError(`addons path not found: ${given} (${root})`, { code: "ADDONS_PATH_NOT_FOUND", cause: e, details: { addonsPath: given } });
    }
    const addons = await Promise.all(
      names.map(async (name): Promise<AddonInfo | undefined> => {
        const dir = path.join(root, name);
        const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
        if (!isDir) return undefined;
        for (const manifestFile of MANIFEST_NAMES) {
          const file = path.join(dir, manifestFile);
          let text: string;
          try {
            text = await readFile(file, "utf8");
          } catch {
            continue;
          }
          return { name, dir, addonsPath: given, manifestFile, manifest: parseManifest(text, file) };
        }
        return undefined;
      }),
    );
    for (const a of addons) {
      if (!a) continue;
      const other = found.get(a.name);
      if (other) throw duplicateModuleError(a.name, other.dir, a.dir);
      found.set(a.name, a);
    }
  }
  return found;
}

/**
 * The error for a module name found in two addons paths.
 *
 * @example throw duplicateModuleError("sale_x", "addons/sale_x", "vendor/oca/sale_x");
 */
export function duplicateModuleError(name: string, first: string, second: string): OperationFailedError {
  return new OperationFailedError(`module ${name} is found twice: in ${first} and in ${second}`, {
    code: "DUPLICATE_MODULE",
    details: { module: name, paths: [first, second] },
  });
}

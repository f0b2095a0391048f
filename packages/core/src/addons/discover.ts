import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { OperationFailedError, throwIfAborted, UsageError } from "../errors.js";
import { ManifestSyntaxError } from "./manifest-error.js";
import { manifestText, parseManifest, type AddonManifest } from "./manifest.js";

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

/** An addon whose manifest Odoo cannot read (not a Python literal, not UTF-8, not a dict): Odoo skips it. */
export interface UnreadableAddon {
  name: string;
  dir: string;
  addonsPath: string;
  manifestFile: string;
  error: ManifestSyntaxError;
}

/** Options of {@link discoverAddons}. */
export interface DiscoverAddonsOptions {
  /** Directories holding addons; relative ones are resolved against `cwd`. */
  addonsPaths: readonly string[];
  cwd?: string;
  /**
   * Receives each addon whose manifest cannot be read, which is then left out (as Odoo leaves it out). Without
   * it, such a manifest is thrown as a {@link ManifestSyntaxError}.
   */
  onUnreadable?: (addon: UnreadableAddon) => void;
  signal?: AbortSignal;
}

/**
 * Finds the addons in several addons paths: each directory (or symlink to one) holding `__manifest__.py`
 * (or `__openerp__.py`), its manifest read as Odoo reads it. A module name found in two paths is an error naming
 * both; a missing addons path is a usage error; an unreadable manifest goes to `onUnreadable` (or is thrown).
 *
 * @example
 * const addons = await discoverAddons({ addonsPaths: ["addons", "vendor/oca-web"], cwd: repoDir });
 * addons.get("web_responsive")?.manifest.depends // ["web"]
 */
export async function discoverAddons(options: DiscoverAddonsOptions): Promise<Map<string, AddonInfo>> {
  const found = new Map<string, AddonInfo>();
  const unreadable = new Map<string, UnreadableAddon>();
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
      names.map(async (name): Promise<AddonInfo | UnreadableAddon | undefined> => {
        const dir = path.join(root, name);
        const isDir = await stat(dir).then((s) => s.isDirectory(), () => false);
        if (!isDir) return undefined;
        for (const manifestFile of MANIFEST_NAMES) {
          const file = path.join(dir, manifestFile);
          let bytes: Buffer;
          try {
            bytes = await readFile(file);
          } catch {
            continue;
          }
          try {
            return { name, dir, addonsPath: given, manifestFile, manifest: parseManifest(manifestText(bytes, file), file) };
          } catch (e) {
            if (!(e instanceof ManifestSyntaxError) || !options.onUnreadable) throw e;
            return { name, dir, addonsPath: given, manifestFile, error: e };
          }
        }
        return undefined;
      }),
    );
    for (const a of addons) {
      if (!a) continue;
      const other = found.get(a.name) ?? unreadable.get(a.name);
      if (other) throw duplicateModuleError(a.name, other.dir, a.dir);
      if ("error" in a) unreadable.set(a.name, a);
      else found.set(a.name, a);
    }
  }
  for (const u of unreadable.values()) options.onUnreadable!(u);
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

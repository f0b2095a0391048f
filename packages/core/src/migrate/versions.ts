import { readFile } from "node:fs/promises";
import path from "node:path";

/**
 * The version Odoo stores in `ir_module_module.latest_version` for a manifest version: the series is
 * prefixed unless the version already starts with it (`odoo.modules.module.adapt_version`). Manifests
 * without a version get Odoo's default `1.0`.
 *
 * @example adaptVersion("1.3", "16.0") // "16.0.1.3"
 * @example adaptVersion("16.0.1.2.0", "16.0") // "16.0.1.2.0"
 */
export function adaptVersion(manifestVersion: string | undefined, series: string): string {
  const v = manifestVersion ?? "1.0";
  return v === series || !v.startsWith(`${series}.`) ? `${series}.${v}` : v;
}

/** The Odoo series (`16.0`) of a `latest_version` such as `16.0.1.3`. */
export function seriesOf(version: string | null | undefined): string | undefined {
  return version?.match(/^(?:saas~)?(\d+\.\d+)/)?.[1];
}

const MANIFESTS = ["__manifest__.py", "__openerp__.py"];
const VERSION_KEY = /['"]version['"]\s*:\s*(?:'([^']*)'|"([^"]*)")/;

/**
 * Reads the `version` of each named module's manifest from local addons paths (the first path holding the
 * module wins, as in Odoo). A module without a manifest there is left out; a manifest without a version
 * maps to `undefined` (Odoo's default applies).
 *
 * @example await readManifestVersions(["/srv/addons"], ["lab_demo"]) // Map { "lab_demo" => "16.0.1.2.0" }
 */
export async function readManifestVersions(
  addonsPaths: readonly string[],
  modules: Iterable<string>,
): Promise<Map<string, { version: string | undefined; dir: string }>> {
  const out = new Map<string, { version: string | undefined; dir: string }>();
  for (const name of modules) {
    search: for (const root of addonsPaths) {
      for (const file of MANIFESTS) {
        const dir = path.resolve(root, name);
        let text: string;
        try {
          text = await readFile(path.join(dir, file), "utf8");
        } catch {
          continue;
        }
        const m = VERSION_KEY.exec(text);
        out.set(name, { version: m ? (m[1] ?? m[2]) : undefined, dir });
        break search;
      }
    }
  }
  return out;
}

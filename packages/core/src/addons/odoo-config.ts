import { EnvironmentError } from "../errors.js";
import type { CommandRunner } from "../runner/types.js";
import { ManifestSyntaxError } from "./manifest-error.js";
import { MANIFEST_NAMES } from "./discover.js";
import { manifestText, parseManifest, type AddonManifest } from "./manifest.js";

/**
 * `addons_path` of an Odoo config file (`[options]`), read on the runner's side (`cat`, an argv: the path reaches
 * no shell); `undefined` when the file sets none. An unreadable file is an {@link EnvironmentError}.
 *
 * @example const paths = await readOdooAddonsPath(runner, "/etc/odoo/odoo.conf"); // ["/opt/odoo/addons", "/srv/custom"]
 */
export async function readOdooAddonsPath(runner: CommandRunner, file: string, signal?: AbortSignal): Promise<string[] | undefined> {
  const r = await runner.exec(["cat", "--", file], signal ? { signal } : {});
  if (r.exitCode !== 0) {
    throw new EnvironmentError(`cannot read the Odoo config ${file} on ${runner.description}`, { code: "ODOO_CONFIG_UNREADABLE", details: { exitCode: r.exitCode } });
  }
  let section = "";
  for (const raw of r.stdout.split(/\r?\n/)) {
    const line = raw.trim();
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) section = sec[1]!;
    const kv = /^addons_path\s*[=:]\s*(.*)$/.exec(line);
    if (kv && section === "options") {
      const paths = kv[1]!
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      return paths.length > 0 ? paths : undefined;
    }
  }
  return undefined;
}

/**
 * Reads the manifest of each named module from addons paths on the runner's side, first path first (as Odoo
 * looks them up): its version for verification. Modules found nowhere are left out; an unreadable manifest
 * gives its {@link ManifestSyntaxError}. Names that no module can have are skipped.
 *
 * @example const m = await readRemoteManifests(runner, ["/opt/odoo/addons"], ["sale"]); m.get("sale")
 */
export async function readRemoteManifests(
  runner: CommandRunner,
  addonsPaths: readonly string[],
  modules: readonly string[],
  signal?: AbortSignal,
): Promise<Map<string, AddonManifest | ManifestSyntaxError>> {
  const out = new Map<string, AddonManifest | ManifestSyntaxError>();
  // Names become path parts: only what a module can be called.
  for (const name of modules.filter((m) => /^[A-Za-z0-9_]+$/.test(m))) {
    find: for (const dir of addonsPaths) {
      for (const manifestFile of MANIFEST_NAMES) {
        const file = `${dir.replace(/\/+$/, "")}/${name}/${manifestFile}`;
        const r = await runner.exec(["cat", "--", file], signal ? { signal } : {});
        if (r.exitCode !== 0) continue;
        try {
          // Runners hand output over as text: bytes that were not UTF-8 arrive as U+FFFD (a local read is strict).
          out.set(name, parseManifest(manifestText(Buffer.from(r.stdout, "utf8"), file), file));
        } catch (e) {
          if (!(e instanceof ManifestSyntaxError)) throw e;
          out.set(name, e);
        }
        break find;
      }
    }
  }
  return out;
}

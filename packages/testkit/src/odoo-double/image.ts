/**
 * Docker images of the Odoo test double for deploy tests: node, the bundled double as the image's odoo-bin
 * (`/opt/odoo/odoo-double.mjs`) and a copy of an addons tree (`/opt/odoo/addons`), so that two images are two
 * versions of the code, as in production.
 */
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { nodeImage } from "../docker.js";
import { odooDoubleScriptPath } from "./build.js";

/** Where the double and the addons are inside the image. */
export const ODOO_IMAGE_PATHS = { script: "/opt/odoo/odoo-double.mjs", addons: "/opt/odoo/addons" } as const;

/**
 * Builds `tag` from the current contents of `addonsDir` (copied now: later changes to it are not in the image),
 * with optional image `env` (e.g. `ODOO_DOUBLE_FAULT: "500"` for an image whose server never gets healthy).
 *
 * @example
 * const v1 = await odooDoubleImage("odoo-deploy-test/odoo:v1", addons.path);
 * // docker run --network host v1 node /opt/odoo/odoo-double.mjs --addons-path /opt/odoo/addons -d db
 */
export async function odooDoubleImage(tag: string, addonsDir: string, env: Record<string, string> = {}): Promise<string> {
  // Staged under a name derived from the addons' content: unchanged code reuses the image built before.
  const stage = path.join(os.tmpdir(), `odoo-image-addons-${treeHash(addonsDir)}`);
  if (!existsSync(stage)) {
    const tmp = mkdtempSync(`${stage}.tmp-`);
    cpSync(addonsDir, path.join(tmp, "addons"), { recursive: true, filter: (src) => !src.includes(`${path.sep}_variants`) });
    try {
      renameSync(tmp, stage);
    } catch {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  return nodeImage({
    tag,
    files: { [ODOO_IMAGE_PATHS.script]: await odooDoubleScriptPath(), [ODOO_IMAGE_PATHS.addons]: path.join(stage, "addons") },
    dirs: ["/var/lib/odoo"],
    env,
  });
}

/** sha1 over the relative paths and contents of a tree (variants left out), sorted. */
function treeHash(dir: string): string {
  const h = createHash("sha1");
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (e.name === "_variants") continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p, `${rel}${e.name}/`);
      else h.update(`${rel}${e.name}\0`).update(readFileSync(p));
    }
  };
  walk(dir, "");
  return h.digest("hex").slice(0, 16);
}

/** The argv that serves HTTP with the double inside such an image. */
export function odooImageServerArgv(dbName: string, port: number): string[] {
  return [process.execPath, ODOO_IMAGE_PATHS.script, "--addons-path", ODOO_IMAGE_PATHS.addons, "-d", dbName, "--http-port", String(port)];
}

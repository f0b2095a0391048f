/**
 * Builds the Odoo test double into ONE self-contained ESM file (pg bundled in) runnable with just `node`, so
 * it also runs in a minimal Docker image holding only node and over SSH. Cached under os.tmpdir() by a hash
 * of the double's sources.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** The double's sources: src/odoo-double (also when this file runs from dist/, the sources are read from src). */
const SRC_DIR = existsSync(path.join(HERE, "main.ts")) ? HERE : path.resolve(HERE, "../src/odoo-double");

/** Absolute path of the fixture addons (`packages/testkit/fixtures/odoo-addons`). */
export const ODOO_DOUBLE_FIXTURE_ADDONS = path.resolve(SRC_DIR, "../../fixtures/odoo-addons");

let building: Promise<string> | undefined;

/**
 * Path of the bundled double (`odoo-double.mjs`), building it on first use.
 *
 * @example
 * const script = await odooDoubleScriptPath();
 * await execa(process.execPath, [script, "-d", "db1", "-i", "base", "--stop-after-init"]);
 */
export function odooDoubleScriptPath(): Promise<string> {
  building ??= build();
  return building;
}

/**
 * The argv prefix that replaces `odoo-bin`: `[process.execPath, scriptPath]`.
 *
 * @example
 * const argv = [...(await odooDoubleArgv()), "-c", conf, "-d", "db1", "-u", "lab_demo", "--stop-after-init"];
 */
export async function odooDoubleArgv(): Promise<string[]> {
  return [process.execPath, await odooDoubleScriptPath()];
}

async function build(): Promise<string> {
  const hash = createHash("sha1");
  for (const f of readdirSync(SRC_DIR).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).sort()) {
    hash.update(f).update(readFileSync(path.join(SRC_DIR, f)));
  }
  const dir = path.join(os.tmpdir(), `odoo-double-${hash.digest("hex").slice(0, 12)}`);
  const out = path.join(dir, "odoo-double.mjs");
  if (existsSync(out)) return out;
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const { build: esbuild } = await import("esbuild");
  const tmp = `${out}.${process.pid}.tmp`;
  await esbuild({
    entryPoints: [path.join(SRC_DIR, "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node18",
    outfile: tmp,
    external: ["pg-native"],
    // pg is CommonJS: give the ESM bundle a real `require` for node built-ins
    banner: { js: "import { createRequire as __odooDoubleRequire } from 'node:module'; const require = __odooDoubleRequire(import.meta.url);" },
    logLevel: "silent",
  });
  // rename is atomic: parallel test workers never see a half-written file
  renameSync(tmp, out);
  return out;
}

/**
 * The published packages are fit to publish: publint finds nothing, and every path their manifests name
 * (exports under every condition, main, types, bin) is in the tarball `npm pack` would publish.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { describe, expect, test } from "vitest";
import { repoRoot } from "@odoo-deploy/testkit";

const PUBLISHED = ["core", "anonymizer", "cli"] as const;

interface Manifest {
  name: string;
  private?: boolean;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: unknown;
}

const manifest = (pkg: string): Manifest => JSON.parse(readFileSync(path.join(repoRoot, "packages", pkg, "package.json"), "utf8")) as Manifest;

/** Every file path an `exports` value names, under any condition. */
function exportTargets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(exportTargets);
  if (value && typeof value === "object") return Object.values(value).flatMap(exportTargets);
  return [];
}

/** The files `npm pack` would put in the tarball, relative to the package. */
function packedFiles(pkg: string): Set<string> {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: path.join(repoRoot, "packages", pkg), encoding: "utf8" });
  const [entry] = JSON.parse(out) as { files: { path: string }[] }[];
  return new Set(entry!.files.map((f) => f.path));
}

describe.each(PUBLISHED)("@odoo-deploy/%s", (pkg) => {
  test("every path of its manifest ships in the tarball", () => {
    const m = manifest(pkg);
    expect(m.private).not.toBe(true);
    const files = packedFiles(pkg);
    const named = [...exportTargets(m.exports), m.main, m.types, ...Object.values(m.bin ?? {})].filter((p): p is string => p !== undefined);
    expect(named.length).toBeGreaterThan(0);
    const missing = named.map((p) => path.posix.normalize(p)).filter((p) => !files.has(p));
    expect(missing, `named in packages/${pkg}/package.json but not packed (is it built? run npm run build)`).toEqual([]);
    expect([...files].filter((f) => f.endsWith(".test.ts")), "tests are not published").toEqual([]);
    expect(files.has("README.md") && files.has("LICENSE"), "README.md and LICENSE ship").toBe(true);
  });

  test("publint --strict finds nothing, suggestions included", async () => {
    const pkgDir = path.join(repoRoot, "packages", pkg);
    const { messages, pkg: json } = await publint({ pkgDir, level: "suggestion", strict: true, pack: "npm" });
    expect(messages.map((m) => `${m.type}: ${formatMessage(m, json) ?? m.code}`)).toEqual([]);
  });
});

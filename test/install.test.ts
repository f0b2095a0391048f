/**
 * The CLI installed as a user installs it: the three packages packed with `npm pack`, installed globally into
 * a temporary prefix with `npm install -g --prefix` (dependencies from the registry, through the npm cache
 * that `npm ci` filled), then run by its name from outside the repository.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { fastSubset, repoRoot } from "@odoo-deploy/testkit";

const work = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-install-"));
const prefix = path.join(work, "prefix");
const bin = path.join(prefix, "bin", "odoo-deploy");

// npm passes its own settings to scripts as npm_* variables; the user's install must not inherit them.
const cleanEnv = (): Record<string, string> => {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k) && k !== "NODE_OPTIONS") env[k] = v;
  return { ...env, NO_UPDATE_NOTIFIER: "1", npm_config_update_notifier: "false", npm_config_fund: "false", npm_config_audit: "false" };
};

// Run from outside the repository with only node's directory and the system on PATH: nothing of the checkout
// can be found by accident.
const userEnv = (): Record<string, string> => ({ ...cleanEnv(), PATH: `${path.join(prefix, "bin")}:${path.dirname(process.execPath)}:/usr/bin:/bin` });

beforeAll(async () => {
  if (fastSubset()) return;
  const packs = path.join(work, "packs");
  mkdirSync(packs);
  execFileSync("npm", ["pack", "-w", "packages/core", "-w", "packages/anonymizer", "-w", "packages/cli", "--pack-destination", packs, "--silent"], {
    cwd: repoRoot,
    env: cleanEnv(),
    stdio: ["ignore", "ignore", "inherit"],
  });
  const tarballs = readdirSync(packs).map((f) => path.join(packs, f));
  expect(tarballs.map((t) => path.basename(t)).sort()).toEqual([
    expect.stringMatching(/^odoo-deploy-anonymizer-.*\.tgz$/),
    expect.stringMatching(/^odoo-deploy-cli-.*\.tgz$/),
    expect.stringMatching(/^odoo-deploy-core-.*\.tgz$/),
  ]);
  // --prefer-offline: package metadata and tarballs come from the npm cache when it has them.
  const r = await execa("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", ...tarballs], {
    cwd: work,
    env: cleanEnv(),
    reject: false,
    timeout: 280_000,
  });
  expect(r.exitCode, `npm install -g failed:\n${r.stderr}`).toBe(0);
}, 300_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

// Needs the npm registry and a minute: not in the fast subset.
describe.skipIf(fastSubset())("installed from packed tarballs", () => {
  test("odoo-deploy --version prints the CLI package's version", async () => {
    const { version } = JSON.parse(readFileSync(path.join(repoRoot, "packages/cli/package.json"), "utf8")) as { version: string };
    const r = await execa("odoo-deploy", ["--version"], { cwd: work, env: userEnv(), extendEnv: false, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  test("the three packages are installed side by side, without their tests", () => {
    const lib = path.join(prefix, "lib", "node_modules", "@odoo-deploy");
    expect(readdirSync(lib).sort()).toEqual(["anonymizer", "cli", "core"]);
    expect(readdirSync(path.join(lib, "core", "src")).some((f) => f.endsWith(".test.ts"))).toBe(false);
  });

  test("a command that loads the anonymizer and pg runs: exit 3 and a JSON error for an unreachable database", async () => {
    const r = await execa(bin, ["anonymize", "check", "--source-url", "postgres://odoo:s3cret-pw@127.0.0.1:1/prod", "--preset", "odoo", "--json"], {
      cwd: work,
      env: userEnv(),
      extendEnv: false,
      reject: false,
    });
    expect(r.exitCode, r.stderr).toBe(3);
    const doc = JSON.parse(r.stdout) as { error: { code: string; message: string } };
    expect(doc.error.message).toContain("127.0.0.1:1");
    expect(r.stdout + r.stderr).not.toContain("s3cret-pw");
  });

  test("config schema prints the JSON Schema shipped with the package", async () => {
    const r = await execa(bin, ["config", "schema"], { cwd: work, env: userEnv(), extendEnv: false, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    const shipped = readFileSync(path.join(prefix, "lib", "node_modules", "@odoo-deploy", "cli", "odoo-deploy.schema.json"), "utf8");
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(shipped));
  });
});

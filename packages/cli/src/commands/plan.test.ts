import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import type { TempGitRepo } from "@odoo-deploy/testkit";
import { runCaptured } from "../test-helpers.js";

const manifest = (depends: string[]) => `{'name': 'x', 'depends': [${depends.map((d) => `'${d}'`).join(", ")}]}\n`;

async function seed(repo: TempGitRepo): Promise<string> {
  repo.write({
    "addons/sale_x/__manifest__.py": manifest(["sale"]),
    "addons/sale_x/models/a.py": "# a\n",
    "vendor/web_x/__manifest__.py": manifest(["web"]),
    "vendor/web_x/doc/index.md": "docs\n",
  });
  return repo.commit("base");
}

describe("odoo-deploy plan", () => {
  test("exit 0 with the plan as JSON; repeatable --addons-path; human output lists the order", async ({ gitRepo: repo }) => {
    const base = await seed(repo);
    repo.write({
      "addons/sale_x/__manifest__.py": manifest(["sale", "sale_dep_x"]),
      "addons/sale_dep_x/__manifest__.py": manifest(["sale"]),
      "vendor/web_x/models/b.py": "# b\n",
    });
    await repo.commit("change");
    const argv = ["plan", "--repo", repo.dir, "--addons-path", "addons", "--addons-path", "vendor", "--from", base];
    const r = await runCaptured([...argv, "--json"]);
    expect(r.code).toBe(0);
    const plan = r.json<{ ok: boolean; mode: string; install: string[]; update: string[]; order: string[] }>();
    expect(plan).toMatchObject({ ok: true, mode: "git", install: ["sale_dep_x"], update: ["sale_x", "web_x"], order: ["sale_dep_x", "sale_x", "web_x"] });
    const human = await runCaptured(argv);
    expect(human.code).toBe(0);
    expect(human.stdout).toBe("");
    expect(human.stderr).toMatch(/^ {2}order +sale_dep_x → sale_x → web_x$/m);
    expect(human.stderr).toContain("OK 3 modules to install or update");
  });

  test("classification rules and addons paths from odoo-deploy.yaml", async ({ gitRepo: repo }) => {
    const base = await seed(repo);
    repo.write({
      "odoo-deploy.yaml": `version: 1
environments:
  ci:
    repo:
      addonsPaths: [addons, vendor]
      classification:
        - { pattern: "doc/**", action: unchanged }
`,
      "vendor/web_x/doc/index.md": "more docs\n",
    });
    await repo.commit("docs");
    const r = await runCaptured(["plan", "--from", base, "--json"], { cwd: repo.dir });
    expect(r.code).toBe(0);
    const plan = r.json<{ update: string[]; modules: Record<string, { action: string; reasons: string[] }> }>();
    expect(plan.update).toEqual([]);
    expect(plan.modules.web_x).toEqual({ action: "unchanged", path: "vendor/web_x", reasons: ["doc/** changed → no update: doc/index.md"] });
    // Without the rule, an unknown file is conservatively an update.
    const strict = await runCaptured(["plan", "--repo", repo.dir, "--from", base, "--addons-path", "addons,vendor", "--json"], { cwd: os.tmpdir() });
    expect(strict.code).toBe(0);
    expect(strict.json<{ update: string[] }>().update).toEqual(["web_x"]);
  });

  test("exit 2 for an unknown revision, a missing base revision, and checksum mode without a database", async ({ gitRepo: repo }) => {
    await seed(repo);
    const unknown = await runCaptured(["plan", "--repo", repo.dir, "--addons-path", "addons", "--from", "v9.9", "--json"]);
    expect(unknown.code).toBe(2);
    expect(unknown.json()).toMatchObject({ error: { code: "UNKNOWN_REVISION", message: `unknown base revision: v9.9 in ${repo.dir}` } });
    const noBase = await runCaptured(["plan", "--repo", repo.dir, "--addons-path", "addons"]);
    expect(noBase.code).toBe(2);
    expect(noBase.stderr).toContain("error: no base revision: give --from REV");
    const checksum = await runCaptured(["plan", "--repo", repo.dir, "--addons-path", "addons", "--mode", "checksum", "--json"]);
    expect(checksum.code).toBe(2);
    expect(checksum.json()).toMatchObject({ error: { code: "CHECKSUM_NEEDS_DATABASE" } });
    const badMode = await runCaptured(["plan", "--repo", repo.dir, "--addons-path", "addons", "--mode", "svn"]);
    expect(badMode.code).toBe(2);
  });

  test("exit 1 for a dependency cycle and for a broken manifest, naming the modules and the file", async ({ gitRepo: repo }) => {
    const base = await seed(repo);
    repo.write({ "addons/sale_x/__manifest__.py": manifest(["web_x"]), "vendor/web_x/__manifest__.py": manifest(["sale_x"]) });
    await repo.commit("cycle");
    const argv = ["plan", "--repo", repo.dir, "--addons-path", "addons", "--addons-path", "vendor", "--from", base];
    const cycle = await runCaptured(argv);
    expect(cycle.code).toBe(1);
    expect(cycle.stderr).toContain("✘ cycles  dependency cycle: sale_x → web_x → sale_x");
    expect(cycle.stderr).toContain("FAILED the plan cannot be deployed");
    repo.write({ "addons/sale_x/__manifest__.py": "{'name': 'x', 'depends': ['base'] + ['sale']}\n" });
    await repo.commit("broken");
    const broken = await runCaptured([...argv, "--json"]);
    expect(broken.code).toBe(1);
    // A manifest Odoo cannot read of a module that changed fails the plan's manifests check (issue 22).
    const report = broken.json() as { ok: boolean; checks: { name: string; status: string; detail?: string }[] };
    expect(report.ok).toBe(false);
    expect(report.checks.find((c) => c.name === "manifests")).toMatchObject({
      status: "failed",
      detail: expect.stringContaining("addons/sale_x/__manifest__.py:1:35: an operation: only a complex number such as 1+2j may be written with + or -"),
    });
  });

  test("checksum mode against the real Odoo 16 database; an unreachable database is exit 3 without its password", async ({ labDb, shared }) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "plan-cli-"));
    try {
      cpSync(path.join(shared, "odoo16-lab/custom_addons/lab_demo"), path.join(dir, "custom_addons/lab_demo"), { recursive: true });
      const r = await runCaptured(["plan", "--mode", "checksum", "--repo", dir, "--addons-path", "custom_addons", "--db-url", labDb.url, "--json"]);
      expect(r.code).toBe(0);
      const plan = r.json<{ mode: string; update: string[]; warnings: string[]; installedFrom: string }>();
      expect(plan).toMatchObject({ mode: "checksum", update: ["lab_demo"], installedFrom: "database" });
      expect(plan.warnings.join("\n")).toContain("the database stores no checksums yet");
      const down = await runCaptured(["plan", "--mode", "checksum", "--repo", dir, "--addons-path", "custom_addons", "--db-url", "postgres://deploy:s3cr3t-pw@127.0.0.1:1/odoo"]);
      expect(down.code).toBe(3);
      expect(down.stderr).toContain("database server unreachable");
      expect(down.stderr).not.toContain("s3cr3t-pw");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

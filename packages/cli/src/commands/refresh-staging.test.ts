/**
 * `odoo-deploy refresh-staging` without a cluster: its usage errors, the `staging` section, the options the
 * library receives and the rendering of its report and events. The command is built around a stand-in for
 * refreshStaging (the library function is tested end to end on its own); the stand-in records what it was
 * given and answers with a report in the library's types.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { RefreshEvent, RefreshReport, RefreshStagingOptions } from "@odoo-deploy/anonymizer";
import { afterAll, describe, expect, test } from "vitest";
import { parse } from "yaml";
import { configJsonSchema, environmentSchema } from "../config/schema.js";
import { renderConfigTemplate } from "../config/template.js";
import { runCaptured } from "../test-helpers.js";
import { configShow } from "./config.js";
import { refreshStagingCommand } from "./refresh-staging.js";

const work = mkdtempSync(path.join(os.tmpdir(), "od-cli-refresh-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const backupFile = path.join(work, "prod.dump");
writeFileSync(backupFile, "PGDMP");
const postSql = path.join(work, "staging.sql");
writeFileSync(postSql, "UPDATE res_company SET name = name || ' (staging)';\n");

const PASSWORD = "Pr0d-Reader-pw9";
const SOURCE = `postgres://reader:${encodeURIComponent(PASSWORD)}@prod-db.internal:5432/odoo_production`;
const TARGET = "postgres://odoo@staging-db.internal:5432/odoo_staging";
const SERVICE = ["--stop-command", "true", "--start-command", "true"];

/** A report as the library gives it: a refresh that replaced staging. */
function goodReport(options: RefreshStagingOptions): RefreshReport {
  return {
    ok: true,
    durationMs: 754_000,
    id: "20261203T101500Z-ab12",
    database: "odoo_staging",
    source: { kind: "database", database: "odoo_production" },
    steps: [
      { name: "lock", status: "ok", durationMs: 12 },
      { name: "rules", status: "ok", detail: "412 columns covered", durationMs: 340 },
      { name: "copy", status: "ok", detail: "3,204,117 rows", durationMs: 512_000 },
      { name: "neutralize", status: "ok", durationMs: 21_000 },
      { name: "swap", status: "ok", durationMs: 1_900 },
      { name: "verify", status: "ok", durationMs: 60_000 },
    ],
    swappedBack: false,
    replaced: true,
    ...(options.baseUrl ? { url: options.baseUrl } : {}),
    rows: 3_204_117,
    databaseBytes: 1_288_490_188,
    downtimeMs: 4_200,
    asideDatabase: "odoo_staging_before_20261203T101500Z-ab12",
    dropped: ["odoo_staging_before_20261126T101500Z-9f3e"],
    cleaned: ["database odoo_staging_refresh_20261126T031700Z-77aa (a killed run's copy)"],
    warnings: [],
    verify: {
      ok: true,
      durationMs: 60_000,
      source: "odoo_production",
      target: "odoo_staging",
      checks: [{ name: "originals", status: "ok" }],
      leaks: [],
      scanned: { columns: 57, values: 184_220, sampledColumns: [] },
    },
  };
}

/** The refresh-staging command around a stand-in that records its options and answers with `answer`. */
function standIn(answer: (o: RefreshStagingOptions) => RefreshReport | Promise<RefreshReport> = goodReport) {
  const calls: RefreshStagingOptions[] = [];
  const command = refreshStagingCommand(async (o) => {
    calls.push(o);
    return answer(o);
  });
  return { calls, commands: [command, configShow] };
}

function yamlIn(dir: string, text: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "odoo-deploy.yaml");
  writeFileSync(file, text);
  return file;
}

describe("usage errors: exit 2 with a clear message before anything runs", () => {
  const cases: [string, string[], string, RegExp][] = [
    ["no source", ["--target-url", TARGET, ...SERVICE], "SOURCE_SPEC", /needs a source: --source-url URL .* or --from-backup PATH/],
    ["both sources", ["--source-url", SOURCE, "--from-backup", backupFile, "--target-url", TARGET, ...SERVICE], "SOURCE_SPEC", /one source, --source-url or --from-backup, not both/],
    ["no target", ["--source-url", SOURCE, ...SERVICE], "MISSING_TARGET_URL", /needs the staging database to replace: --target-url URL/],
    ["a target naming no database", ["--source-url", SOURCE, "--target-url", "postgres://odoo@staging-db.internal:5432", ...SERVICE], "MISSING_DB_NAME", /must name the staging database/],
    ["a target that is no URL", ["--source-url", SOURCE, "--target-url", "odoo_staging", ...SERVICE], "BAD_DB_URL", /not a PostgreSQL URL/],
    ["a backup that is not there", ["--from-backup", path.join(work, "nope.dump"), "--target-url", TARGET, ...SERVICE], "BACKUP_NOT_FOUND", /nope\.dump: no such file or directory/],
    ["a post-SQL file that is not there", ["--source-url", SOURCE, "--target-url", TARGET, "--post-sql", "missing.sql", ...SERVICE], "POST_SQL_NOT_FOUND", /missing\.sql: no such file/],
    ["public files without production's filestore", ["--source-url", SOURCE, "--target-url", TARGET, "--filestore", "public", ...SERVICE], "MISSING_SOURCE_FILESTORE", /--filestore public copies production's files: give --source-filestore DIR/],
    ["no service", ["--source-url", SOURCE, "--target-url", TARGET], "SERVICE_SPEC", /needs the Odoo service: --container NAME, .*staging\.service/],
    ["two services", ["--source-url", SOURCE, "--target-url", TARGET, "--container", "odoo", "--systemd-unit", "odoo"], "SERVICE_SPEC", /one way to control the service, not --container and --systemd-unit/],
    ["a stop command without a start command", ["--source-url", SOURCE, "--target-url", TARGET, "--stop-command", "true"], "SERVICE_SPEC", /--stop-command and --start-command go together/],
    ["a secret variable that is not set", ["--source-url", SOURCE, "--target-url", TARGET, "--secret-env", "NO_SUCH_VAR", ...SERVICE], "NO_SECRET", /--secret-env NO_SUCH_VAR: the variable is not set/],
  ];

  test.each(cases)("%s", async (_name, args, code, message) => {
    const { calls, commands } = standIn();
    const human = await runCaptured(["refresh-staging", ...args], { commands, cwd: work });
    expect(human.code, human.stderr).toBe(2);
    expect(human.stderr).toMatch(message);
    expect(human.stdout).toBe("");
    const json = await runCaptured(["refresh-staging", ...args, "--json"], { commands, cwd: work });
    expect(json.code).toBe(2);
    expect(json.json<{ error: { code: string } }>().error.code).toBe(code);
    expect(calls).toEqual([]);
    // The source's password is in most of these argvs: never in any output.
    expect(human.stderr + json.stdout).not.toContain(PASSWORD);
    expect(human.stderr + json.stdout).not.toContain(encodeURIComponent(PASSWORD));
  });

  test("a policy that is not one: from a flag (commander's choices) and from the file (the schema), both exit 2", async () => {
    const { calls, commands } = standIn();
    const flag = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, "--filestore", "some", ...SERVICE], { commands, cwd: work });
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("argument 'some' is invalid. Allowed choices are none, placeholders, public, all");
    const file = yamlIn(path.join(work, "bad-policy"), "version: 1\nenvironments:\n  staging:\n    staging: { filestore: most, keep: -1 }\n");
    const fromFile = await runCaptured(["refresh-staging", "--file", file, "--source-url", SOURCE, "--target-url", TARGET, ...SERVICE, "--json"], { commands, cwd: work });
    expect(fromFile.code).toBe(2);
    const error = fromFile.json<{ error: { code: string; details: { issues: { path: string }[] } } }>().error;
    expect(error.code).toBe("CONFIG_INVALID");
    expect(error.details.issues.map((i) => i.path)).toEqual(expect.arrayContaining(["environments.staging.staging.filestore", "environments.staging.staging.keep"]));
    expect(calls).toEqual([]);
  });

  test("both sources in the file is an error; a source given as a flag replaces the file's other kind", async () => {
    const file = yamlIn(path.join(work, "two-sources"), `version: 1\nenvironments:\n  staging:\n    staging: { sourceUrl: "${SOURCE}", fromBackup: ${backupFile}, targetUrl: "${TARGET}" }\n`);
    const { calls, commands } = standIn();
    const both = await runCaptured(["refresh-staging", "--file", file, ...SERVICE], { commands, cwd: work });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("staging.sourceUrl and staging.fromBackup are both set");
    const oneOff = await runCaptured(["refresh-staging", "--file", file, "--from-backup", backupFile, ...SERVICE, "--json"], { commands, cwd: work });
    expect(oneOff.code, oneOff.stderr).toBe(0);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatchObject({ fromBackup: backupFile });
    expect(calls[0]!.sourceUrl).toBeUndefined();
  });

  test("the real command checks the same way: a usage error is found before the library is called", async () => {
    // The registered command (around the library's refreshStaging): the error is the CLI's, not the library's.
    const r = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, "--json"], { cwd: work });
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string } }>().error.code).toBe("SERVICE_SPEC");
  });
});

describe("the staging section of odoo-deploy.yaml", () => {
  const dir = path.join(work, "config");
  const yaml = `version: 1
environments:
  staging:
    anonymize: { preset: odoo, rules: rules.yaml, secretEnv: ANON_SECRET, jobs: 3 }
    odoo: { runner: local, odooBin: /opt/odoo/odoo-bin, configPath: /etc/odoo/odoo.conf }
    staging:
      sourceUrl: postgres://reader:\${PRODUCTION_READER_PASSWORD}@prod-db.internal:5432/odoo_production
      targetUrl: postgres://odoo:\${DB_PASSWORD}@staging-db.internal:5432/odoo_staging
      baseUrl: https://staging.example.com
      ribbon: STAGING
      filestore: public
      sourceFilestore: prod-files
      targetFilestore: /var/lib/odoo/filestore/odoo_staging
      postSql: staging.sql
      canaries: ["jane.doe@corp.example", "Doe, Jane"]
      keep: 2
      service: { stopCommand: "systemctl stop odoo-staging", startCommand: "systemctl start odoo-staging" }
      odooConfig: /etc/odoo/staging.conf
      healthUrl: https://staging.example.com
      healthTimeout: 5m
      notifyUrl: https://hooks.example.com/refresh
      lockTimeout: 30s
`;
  const file = yamlIn(dir, yaml);
  writeFileSync(path.join(dir, "rules.yaml"), "version: 1\n");
  writeFileSync(path.join(dir, "staging.sql"), "SELECT 1;\n");
  const env = { PRODUCTION_READER_PASSWORD: PASSWORD, DB_PASSWORD: "St4ging-DB-pw7", ANON_SECRET: "an0n-Secret-Value" };

  test("config show shows it, with the passwords redacted", async () => {
    const human = await runCaptured(["config", "show", "--file", file], { env, cwd: dir });
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toContain('"staging": {');
    expect(human.stderr).toContain('"baseUrl": "https://staging.example.com"');
    expect(human.stderr).toContain('"filestore": "public"');
    const json = await runCaptured(["config", "show", "--file", file, "--json"], { env, cwd: dir });
    const shown = json.json<{ settings: { staging: Record<string, unknown> } }>().settings.staging;
    expect(shown).toMatchObject({
      sourceUrl: "postgres://reader:***@prod-db.internal:5432/odoo_production",
      targetUrl: "postgres://odoo:***@staging-db.internal:5432/odoo_staging",
      canaries: ["jane.doe@corp.example", "Doe, Jane"],
      keep: 2,
      service: { stopCommand: "systemctl stop odoo-staging" },
      healthTimeout: "5m",
    });
    for (const secret of [...Object.values(env), encodeURIComponent(PASSWORD)]) expect(human.stderr + json.stdout).not.toContain(secret);
  });

  test("flags override it and ODOO_DEPLOY_STAGING_* variables set it", async () => {
    const json = await runCaptured(["config", "show", "--file", file, "--json"], { env: { ...env, ODOO_DEPLOY_STAGING_BASE_URL: "https://qa.example.com" }, cwd: dir });
    expect(json.json<{ settings: { staging: { baseUrl: string } } }>().settings.staging.baseUrl).toBe("https://qa.example.com");
    const { calls, commands } = standIn();
    const r = await runCaptured(["refresh-staging", "--file", file, "--keep", "0", "--filestore", "none", "--canary", "only-this", "--json"], { env, cwd: dir, commands });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(calls[0]).toMatchObject({ keep: 0, filestore: "none", canaries: ["only-this"] });
  });

  test("the library gets every setting: paths resolved from the working directory, durations in ms, defaults from anonymize and odoo", async () => {
    const { calls, commands } = standIn();
    const r = await runCaptured(["refresh-staging", "--file", file, "--json"], { env, cwd: dir, commands });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const o = calls[0]!;
    expect(o).toMatchObject({
      sourceUrl: `postgres://reader:${PASSWORD}@prod-db.internal:5432/odoo_production`,
      targetUrl: "postgres://odoo:St4ging-DB-pw7@staging-db.internal:5432/odoo_staging",
      preset: "odoo",
      rulesFile: path.join(dir, "rules.yaml"),
      secret: "an0n-Secret-Value",
      jobs: 3,
      baseUrl: "https://staging.example.com",
      ribbon: "STAGING",
      postSqlFile: path.join(dir, "staging.sql"),
      filestore: "public",
      sourceFilestore: { dir: path.join(dir, "prod-files") },
      targetFilestore: { dir: "/var/lib/odoo/filestore/odoo_staging" },
      canaries: ["jane.doe@corp.example", "Doe, Jane"],
      keep: 2,
      odooBin: "/opt/odoo/odoo-bin",
      odooConfig: "/etc/odoo/staging.conf",
      healthUrl: "https://staging.example.com",
      healthTimeoutMs: 300_000,
      notifyUrl: "https://hooks.example.com/refresh",
      lockTimeoutMs: 30_000,
    });
    expect(o.service.kind).toBe("commands");
    expect(o.odooRunner?.description).toBeTruthy();
    expect(o.sourceFilestore?.runner.description).toBe(o.targetFilestore?.runner.description);
    expect(o.signal).toBeInstanceOf(AbortSignal);
    expect(typeof o.onEvent).toBe("function");
    // The secrets reached the library, and no output: the report is redacted as every report is.
    expect(r.stdout).not.toContain(PASSWORD);
    expect(r.stdout).not.toContain("an0n-Secret-Value");
  });

  test("without a filestore policy: placeholders; without staging.secretEnv nor anonymize.secretEnv: ODOO_DEPLOY_ANONYMIZE_SECRET", async () => {
    const { calls, commands } = standIn();
    const r = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, "--container", "odoo-staging", "--json"], {
      env: { ODOO_DEPLOY_ANONYMIZE_SECRET: "default-Secret-9" },
      cwd: work,
      commands,
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(calls[0]).toMatchObject({ filestore: "placeholders", secret: "default-Secret-9" });
    expect(calls[0]!.service.kind).toBe("docker");
    expect(calls[0]!.targetFilestore).toBeUndefined();
  });

  test("the committed JSON Schema has the section (regenerated with npm run schema) and init's commented example is valid", () => {
    const committed = JSON.parse(readFileSync(new URL("../../odoo-deploy.schema.json", import.meta.url), "utf8")) as Record<string, unknown>;
    expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
    const env = (committed.properties as { environments: { additionalProperties: { properties: Record<string, { properties: Record<string, unknown> }> } } }).environments.additionalProperties;
    expect(Object.keys(env.properties.staging!.properties)).toEqual(expect.arrayContaining(["sourceUrl", "fromBackup", "targetUrl", "filestore", "canaries", "keep", "service", "healthUrl", "notifyUrl"]));

    const template = renderConfigTemplate({ environment: "staging", version: "0.1.0" });
    const block = template.split("\n").filter((l) => /^ {4}# (staging:| {2}\w)/.test(l));
    expect(block.length).toBeGreaterThan(8);
    const uncommented = block.map((l) => l.replace(/^( {4})# /, "$1").replace(/\s+# .*$/, "")).join("\n");
    const section = (parse(`environments:\n  staging:\n${uncommented}\n`) as { environments: { staging: Record<string, unknown> } }).environments.staging;
    const parsed = environmentSchema.safeParse(section);
    expect(parsed.error?.issues ?? []).toEqual([]);
    expect(parsed.data?.staging?.filestore).toBe("placeholders");
  });
});

describe("the report, for people and as JSON", () => {
  test("--json: exactly the report on stdout; exit 0 when ok", async () => {
    const { commands } = standIn();
    const r = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, "--base-url", "https://staging.example.com", ...SERVICE, "--json"], { cwd: work, commands });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.json<RefreshReport>()).toMatchObject({ ok: true, replaced: true, url: "https://staging.example.com", rows: 3_204_117 });
  });

  test("human: steps once each with durations, rows, sizes, the leak scan, what was cleaned, the URL", async () => {
    const events: RefreshEvent[] = [
      { type: "refresh:cleaned", what: "database odoo_staging_refresh_20261126T031700Z-77aa (a killed run's copy)" },
      { type: "refresh:step-start", name: "lock" },
      { type: "refresh:step", step: { name: "lock", status: "ok", durationMs: 12 } },
      { type: "refresh:step-start", name: "copy" },
      { type: "refresh:progress", phase: "copy", done: 1000, total: 2000, unit: "rows", table: "res_partner", perSec: 500 },
      { type: "refresh:step", step: { name: "copy", status: "ok", detail: "3,204,117 rows", durationMs: 512_000 } },
      { type: "refresh:warning", message: "the source has 3 attachments without their file" },
    ];
    const { commands } = standIn((o) => {
      for (const e of events) o.onEvent?.(e);
      return goodReport(o);
    });
    const r = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, "--base-url", "https://staging.example.com", ...SERVICE], { cwd: work, commands });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const text = r.stderr;
    expect(text).toContain("cleaned up after a killed run: database odoo_staging_refresh_20261126T031700Z-77aa");
    expect(text).toContain("Refresh 20261203T101500Z-ab12 of staging odoo_staging from odoo_production (live, one snapshot)");
    // Shown once: lock and copy as they ended, the steps without an event in the summary.
    for (const step of ["✔ lock", "✔ copy  3,204,117 rows (8m32s)", "✔ rules  412 columns covered", "✔ neutralize", "✔ swap", "✔ verify"]) {
      expect(text.split(step).length - 1, `${step} in:\n${text}`).toBe(1);
    }
    expect(text).toMatch(/^ {2}rows {8}3,204,117$/m);
    expect(text).toContain("1.2 GiB");
    expect(text).toContain("0 leaks (57 columns, 184,220 original values searched)");
    expect(text).toMatch(/^ {2}downtime {4}4\.2s$/m);
    expect(text).toContain("kept aside  odoo_staging_before_20261203T101500Z-ab12");
    expect(text).toContain("dropped     odoo_staging_before_20261126T101500Z-9f3e");
    expect(text).toContain("Cleaned up what killed runs left: database odoo_staging_refresh_20261126T031700Z-77aa");
    expect(text).toContain("warning: the source has 3 attachments without their file");
    expect(text).toMatch(/OK staging odoo_staging replaced in 12m34s: https:\/\/staging\.example\.com\n$/);
    // Not a terminal: no progress bar, no control characters.
    expect(text).not.toContain("\x1b");
    expect(text).not.toContain("rows/s");
  });

  test("a failed refresh: exit 1, the failure, and that the old staging serves again (swapped back) or was never touched", async () => {
    const swappedBack = (o: RefreshStagingOptions): RefreshReport => ({
      ...goodReport(o),
      ok: false,
      replaced: false,
      swappedBack: true,
      steps: [
        { name: "swap", status: "ok" },
        { name: "health", status: "failed", detail: "HTTP 500 on /web/login?db=odoo_staging" },
        { name: "swap back", status: "ok" },
      ],
      failure: { step: "health", code: "UNHEALTHY", message: "staging did not become healthy within 2m", details: {} },
      verify: {
        ok: false,
        durationMs: 1,
        source: "p",
        target: "s",
        checks: [],
        leaks: [{ table: "res_partner", column: "email", count: 2, kind: "original" }, { table: "mail_message", column: "body", count: 1, kind: "canary", canary: 0 }],
        scanned: { columns: 57, values: 100, sampledColumns: [] },
      },
      asideDatabase: undefined,
      dropped: [],
    });
    const { commands } = standIn(swappedBack);
    const r = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, ...SERVICE], { cwd: work, commands });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("✘ health  HTTP 500 on /web/login?db=odoo_staging");
    expect(r.stderr).toContain("health: staging did not become healthy within 2m");
    expect(r.stderr).toContain("2 LEAKS: res_partner.email ×2, mail_message.body ×1 (canary #1)");
    expect(r.stderr).toMatch(/FAILED health failed; swapped back: the old staging serves again, the new copy was removed\n$/);

    const early = standIn((o) => ({
      ...goodReport(o),
      ok: false,
      replaced: false,
      steps: [{ name: "rules", status: "failed", detail: "2 uncovered columns" }],
      failure: { step: "rules", code: "RULES_INCOMPLETE", message: "2 columns are not covered", details: {} },
    }));
    const json = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, ...SERVICE, "--json"], { cwd: work, commands: early.commands });
    expect(json.code).toBe(1);
    expect(json.json<RefreshReport>().failure?.step).toBe("rules");
    const human = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, ...SERVICE], { cwd: work, commands: early.commands });
    expect(human.stderr).toMatch(/FAILED rules failed; the old staging was not touched and still serves\n$/);
  });

  test("on a terminal: bars with rows/s and ETA per table and overall, rewritten in place", async () => {
    const { commands } = standIn(async (o) => {
      o.onEvent?.({ type: "refresh:step-start", name: "copy" });
      o.onEvent?.({ type: "refresh:progress", phase: "copy", done: 400_000, total: 1_000_000, unit: "rows", perSec: 200_000 });
      await new Promise((r) => setTimeout(r, 120)); // past the redraw interval
      o.onEvent?.({ type: "refresh:progress", phase: "copy", done: 250_000, total: 500_000, unit: "rows", table: "res_partner", perSec: 125_000 });
      await new Promise((r) => setTimeout(r, 120));
      o.onEvent?.({ type: "refresh:progress", phase: "copy", done: 30_000, total: 120_000, unit: "rows", table: "mail_message", perSec: 15_000 });
      await new Promise((r) => setTimeout(r, 120));
      o.onEvent?.({ type: "refresh:step", step: { name: "copy", status: "ok", durationMs: 5000 } });
      return goodReport(o);
    });
    const r = await runCaptured(["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, ...SERVICE], { cwd: work, commands, ttyColumns: 160, env: { NO_COLOR: "1" } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const ESC = String.fromCharCode(27);
    const frames = r.stderr.split(new RegExp(`\r${ESC}\\[[KJ]`));
    const last = frames.find((f) => f.includes("mail_message"))!;
    expect(last).toBeDefined();
    const lines = last.split("\n");
    expect(lines[0]).toMatch(/^refresh: copy {2}\[#{8}-{12}\] {2}40% {2}400,000 of 1,000,000 rows {2}200,000 rows\/s {2}ETA 3\.0s/);
    expect(lines[1]).toMatch(/^ {2}res_partner {2}\s*\[#{10}-{10}\] {2}50% {2}250,000 of 500,000 rows {2}125,000 rows\/s {2}ETA 2\.0s/);
    expect(lines[2]).toMatch(/^ {2}mail_message {2}\[#{5}-{15}\] {2}25% {2}30,000 of 120,000 rows {2}15,000 rows\/s {2}ETA 6\.0s/);
    // Three lines drawn: the next frame first moves the cursor up two lines.
    expect(r.stderr).toContain("\x1b[2A\r\x1b[J");
    expect(r.stderr).toContain("✔ copy");
  });
});

test("in CI (no terminal): one line per step; progress only with --verbose, as a throttled line without control characters", async () => {
  const { commands } = standIn((o) => {
    o.onEvent?.({ type: "refresh:step-start", name: "copy" });
    o.onEvent?.({ type: "refresh:progress", phase: "copy", done: 400_000, total: 1_000_000, unit: "rows", perSec: 200_000 });
    o.onEvent?.({ type: "refresh:progress", phase: "copy", done: 10, total: 100, unit: "rows", table: "res_users" });
    o.onEvent?.({ type: "refresh:step", step: { name: "copy", status: "ok", durationMs: 5000 } });
    return goodReport(o);
  });
  const argv = ["refresh-staging", "--source-url", SOURCE, "--target-url", TARGET, ...SERVICE];
  const plain = await runCaptured(argv, { cwd: work, commands });
  expect(plain.stderr.split("\n")[0]).toBe("  ✔ copy (5.0s)");
  expect(plain.stderr).not.toContain("rows/s");
  const verbose = await runCaptured([...argv, "--verbose"], { cwd: work, commands });
  expect(verbose.stderr.split("\n").slice(0, 3)).toEqual(["refresh: copy…", "refresh: copy 40% 400,000 of 1,000,000 rows  200,000 rows/s  ETA 3.0s", "  ✔ copy (5.0s)"]);
  expect(verbose.stderr).not.toContain("\x1b");
});

describe("--help", () => {
  test("lists every flag of the issue's command line", async () => {
    const r = await runCaptured(["refresh-staging", "--help"]);
    expect(r.code).toBe(0);
    const flags = "--source-url --from-backup --target-url --preset --rules --secret-env --base-url --ribbon --filestore --source-filestore --target-filestore --post-sql --canary --keep --container --compose-service --systemd-unit --stop-command --start-command --odoo-bin --odoo-config --health-url --notify-url --jobs";
    for (const f of flags.split(" ")) expect(r.stdout, f).toMatch(new RegExp(`^ {2}${f} `, "m"));
    expect(r.stdout.replace(/\s+/g, " ")).toContain('(choices: "none", "placeholders", "public", "all")');
    const top = await runCaptured(["--help"]);
    expect(top.stdout).toMatch(/^ {2}refresh-staging /m);
    expect(top.stdout).toContain("--json");
  });
});

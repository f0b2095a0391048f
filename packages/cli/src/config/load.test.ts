import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, Redactor } from "@odoo-deploy/core";
import { describe, expect, test } from "vitest";
import { runCaptured } from "../test-helpers.js";
import { loadSettings } from "./load.js";
import { configJsonSchema } from "./schema.js";

function dirWith(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-config-"));
  writeFileSync(path.join(dir, "odoo-deploy.yaml"), yaml);
  return dir;
}

const base = (over: Partial<Parameters<typeof loadSettings>[0]>) => ({
  cwd: os.tmpdir(),
  env: {},
  flags: {},
  redactor: new Redactor(),
  ...over,
});

describe("loadSettings", () => {
  test("reports every problem of a malformed file at once, each with its key path", () => {
    const cwd = dirWith(`version: 2
environments:
  prod:
    database:
      url: 42
      nmae: odoo
    health:
      url: not a url
      timeout: soon
    odoo:
      runner: kubernetes
`);
    let error: unknown;
    try {
      loadSettings(base({ cwd }));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const paths = (error as ConfigError).issues.map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        "version",
        "environments.prod.database.url",
        "environments.prod.database",
        "environments.prod.health.url",
        "environments.prod.health.timeout",
        "environments.prod.odoo.runner",
      ]),
    );
    expect((error as ConfigError).message).toContain("environments.prod.database: unknown key: nmae");
  });

  test("a YAML syntax error names its line and column", () => {
    const cwd = dirWith("version: 1\nenvironments:\n  prod: {database: {url: x}\n");
    expect(() => loadSettings(base({ cwd }))).toThrow(/line \d+, column \d+/);
  });

  test("precedence is defaults < file < environment variables < flags", () => {
    const cwd = dirWith(`version: 1
environments:
  prod:
    database: { url: "postgres://file/db", name: from_file }
    health: { url: "http://file:8069" }
    backups: { directory: /from/file }
`);
    const { settings, environment } = loadSettings(
      base({
        cwd,
        env: { ODOO_DEPLOY_DATABASE_NAME: "from_env", ODOO_DEPLOY_HEALTH_URL: "http://env:8069", ODOO_DEPLOY_REPO_ADDONS_PATHS: "a, b" },
        flags: { "health.url": "http://flag:8069" },
      }),
    );
    expect(environment).toBe("prod");
    expect(settings.database).toEqual({ url: "postgres://file/db", name: "from_env" });
    expect(settings.health?.url).toBe("http://flag:8069");
    expect(settings.backups?.directory).toBe("/from/file");
    expect(settings.repo?.addonsPaths).toEqual(["a", "b"]);
  });

  test("${VAR} interpolation fills secrets, registers them for redaction and reports missing ones", () => {
    const cwd = dirWith(`version: 1
environments:
  prod:
    database: { url: "postgres://odoo:\${DB_PASSWORD}@db/prod" }
    odoo: { odooBin: "\${ODOO_BIN:-/usr/bin/odoo}", configPath: "$\${literal}" }
`);
    const redactor = new Redactor();
    const { settings } = loadSettings(base({ cwd, env: { DB_PASSWORD: "pa55:word" }, redactor }));
    expect(settings.database?.url).toBe("postgres://odoo:pa55:word@db/prod");
    expect(settings.odoo?.odooBin).toBe("/usr/bin/odoo");
    expect(settings.odoo?.configPath).toBe("${literal}");
    expect(redactor.text("it was pa55:word")).toBe("it was ***");

    expect(() => loadSettings(base({ cwd, env: {} }))).toThrow(/environments\.prod\.database\.url: environment variable DB_PASSWORD is not set/);
  });

  test("selecting environments: --env, defaultEnvironment, unknown names", () => {
    const cwd = dirWith(`version: 1
defaultEnvironment: staging
environments:
  prod: { database: { name: p } }
  staging: { database: { name: s } }
`);
    expect(loadSettings(base({ cwd })).settings.database?.name).toBe("s");
    expect(loadSettings(base({ cwd, envName: "prod" })).settings.database?.name).toBe("p");
    expect(loadSettings(base({ cwd, env: { ODOO_DEPLOY_ENV: "prod" } })).settings.database?.name).toBe("p");
    expect(() => loadSettings(base({ cwd, envName: "qa" }))).toThrow(/no environment named "qa" \(have: prod, staging\)/);
  });

  test("an explicit --file that does not exist is a config error", () => {
    expect(() => loadSettings(base({ file: "/nonexistent/odoo-deploy.yaml" }))).toThrow(ConfigError);
  });
});

test("the committed JSON Schema is the one generated from the validating schema", () => {
  const committed: unknown = JSON.parse(readFileSync(new URL("../../odoo-deploy.schema.json", import.meta.url), "utf8"));
  // If this fails, run `npm run schema` and commit the result.
  expect(committed).toEqual(JSON.parse(JSON.stringify(configJsonSchema())));
});

describe("odoo-deploy with a bad config", () => {
  test("exit 2 and every error with its path, in human and JSON output", async () => {
    const cwd = dirWith(`version: 1
environments:
  prod:
    database: { url: 5, colour: blue }
    health: { timeout: later }
`);
    const human = await runCaptured(["status"], { cwd });
    expect(human.code).toBe(2);
    expect(human.stderr).toContain("environments.prod.database.url:");
    expect(human.stderr).toContain("environments.prod.database: unknown key: colour");
    expect(human.stderr).toContain("environments.prod.health.timeout:");

    const json = await runCaptured(["status", "--json"], { cwd });
    expect(json.code).toBe(2);
    const doc = json.json<{ error: { code: string; details: { issues: { path: string }[] } } }>();
    expect(doc.error.code).toBe("CONFIG_INVALID");
    expect(doc.error.details.issues.map((i) => i.path)).toEqual(
      expect.arrayContaining(["environments.prod.database.url", "environments.prod.database", "environments.prod.health.timeout"]),
    );
  });
});

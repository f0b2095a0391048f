/**
 * Secrets in every output of the CLI, both directions: a password never shows (human, --json, errors,
 * config show, a bug's stack trace), and a weak password such as `odoo` for user `odoo` does not cut every
 * other "odoo" out of the output.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { defineCommand, type CommandDefinition } from "./command.js";
import { commands } from "./commands/index.js";
import { runCli } from "./main.js";
import { runCaptured, type CapturedRun } from "./test-helpers.js";

function dirWith(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-secrets-"));
  writeFileSync(path.join(dir, "odoo-deploy.yaml"), yaml);
  return dir;
}

async function runWith(argv: string[], extra: CommandDefinition[], env: Record<string, string> = {}): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    commands: [...commands, ...extra],
    io: { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env, cwd: process.cwd() },
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** No output shows the password `odoo` at a password's place. */
function expectNoOdooPassword(out: string): void {
  expect(out).not.toMatch(/:odoo@/);
  expect(out).not.toMatch(/(password|passwd|PGPASSWORD)"?\s*[:=]\s*"?odoo/i);
}

const ODOO_CONFIG = (dbUrl: string) => `version: 1
environments:
  prod:
    database: { url: "${dbUrl}", name: odoo }
    odoo:
      runner: ssh
      odooBin: /opt/odoo/odoo-bin
      configPath: /etc/odoo/odoo.conf
      ssh: { host: odoo.example.com, user: odoo, password: odoo, passphrase: ab, privateKeyPath: /home/odoo/.ssh/id_ed25519 }
`;

describe("password odoo for user odoo (the official image's credentials)", () => {
  test("config show: every odoo but the passwords stays; passwords of any length are masked by key", async () => {
    const cwd = dirWith(ODOO_CONFIG("postgres://odoo:odoo@db:5432/odoo"));
    try {
      const json = await runCaptured(["config", "show", "--json"], { cwd });
      expect(json.code).toBe(0);
      const settings = json.json<{ settings: Record<string, Record<string, unknown>> }>().settings;
      expect(settings).toMatchObject({
        database: { url: "postgres://odoo:***@db:5432/odoo", name: "odoo" },
        odoo: {
          odooBin: "/opt/odoo/odoo-bin",
          configPath: "/etc/odoo/odoo.conf",
          ssh: { host: "odoo.example.com", user: "odoo", password: "***", passphrase: "***", privateKeyPath: "/home/odoo/.ssh/id_ed25519" },
        },
      });
      const human = await runCaptured(["config", "show"], { cwd });
      expect(human.code).toBe(0);
      for (const line of ['"odooBin": "/opt/odoo/odoo-bin"', '"user": "odoo"', '"name": "odoo"', '"url": "postgres://odoo:***@db:5432/odoo"', '"password": "***"', '"passphrase": "***"']) {
        expect(human.stderr).toContain(line);
      }
      for (const out of [json.stdout, json.stderr, human.stdout, human.stderr]) {
        expectNoOdooPassword(out);
        expect(out).not.toContain('"ab"');
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test("an error names the URL with user and database intact and the password masked", async () => {
    const cwd = dirWith(ODOO_CONFIG("postgres://odoo:odoo@127.0.0.1:1/odoo"));
    try {
      for (const json of [false, true]) {
        const r = await runCaptured(["status", ...(json ? ["--json"] : [])], { cwd });
        expect(r.code).toBe(3);
        expect(r.stdout + r.stderr).toContain("database server unreachable at postgres://odoo:***@127.0.0.1:1/odoo");
        expectNoOdooPassword(r.stdout + r.stderr);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  test("a report from the real database keeps the user name and masks the password", async ({ labDb, pg }) => {
    // Trust authentication: the password is not checked, so the weak one can travel the whole way.
    await pg.query("DO $$ BEGIN CREATE ROLE odoo LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
    const url = `postgres://odoo:odoo@127.0.0.1:${pg.port}/${labDb.name}`;
    const json = await runCaptured(["status", "--db-url", url, "--json"]);
    expect(json.code).toBe(0);
    expect(json.json<{ database: string }>().database).toBe(`postgres://odoo:***@127.0.0.1:${pg.port}/${labDb.name}`);
    const human = await runCaptured(["status", "--db-url", url]);
    expect(human.code).toBe(0);
    // Human output names the database short (the JSON report keeps the redacted URL).
    expect(human.stderr).toContain(`Database ${labDb.name} on 127.0.0.1:${pg.port}\n`);
    for (const out of [json.stdout, json.stderr, human.stdout, human.stderr]) expectNoOdooPassword(out);
  });

  test("a bug's stack trace keeps paths and names and masks the password where it stands", async () => {
    const buggy = defineCommand({
      path: "explode",
      summary: "a command with a bug",
      async run() {
        throw new TypeError("/opt/odoo/odoo-bin exit code 0 for user odoo: PGPASSWORD=odoo psql postgres://odoo:odoo@db/odoo");
      },
    });
    for (const json of [false, true]) {
      const r = await runWith(["explode", ...(json ? ["--json"] : [])], [buggy]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain("This is a bug in odoo-deploy");
      expect(r.stderr).toContain("/opt/odoo/odoo-bin exit code 0 for user odoo: PGPASSWORD=*** psql postgres://odoo:***@db/odoo");
      expect(r.stderr).toMatch(/at .*secrets\.test\.ts/); // the trace itself is there
      expectNoOdooPassword(r.stdout + r.stderr);
    }
  });
});

describe("a password never shows, however malformed its URL", () => {
  const passwords = ["pa#ssW0rd", "pa/ssW0rd", "pa?ssW0rd", "12/ssW0rd", "pa%zzW0rd", "p ssW0rd", "ab"];

  test.each(["postgres", "postgresql", "postgre", "mysql"])("%s:// on the command line (both flag forms) and in the config file", async (scheme) => {
    for (const pw of passwords) {
      const url = `${scheme}://odoo:${pw}@127.0.0.1:1/odoo`;
      const cwd = dirWith(`version: 1\nenvironments:\n  prod:\n    database: { url: ${JSON.stringify(url)} }\n`);
      try {
        const runs = [
          await runCaptured(["status", "--db-url", url]),
          await runCaptured(["status", "--db-url", url, "--json"]),
          await runCaptured(["status", `--db-url=${url}`, "--json"]),
          await runCaptured(["status"], { cwd }),
          await runCaptured(["status", "--json"], { cwd }),
          await runCaptured(["status"], { env: { ODOO_DEPLOY_DATABASE_URL: url } }),
        ];
        for (const r of runs) {
          expect([2, 3], `${url}: ${r.stderr}`).toContain(r.code);
          const out = r.stdout + r.stderr;
          expect(out, url).toContain(`${scheme}://odoo:***@127.0.0.1:1/odoo`);
          expect(out, url).not.toMatch(/ssW0rd|zzW0rd|:ab@|pa[#/?% ]|12\//);
        }
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    }
  });

  test("commander's own errors (an unknown option, a bad choice) that echo a URL hide its password", async () => {
    for (const argv of [["status", "--db-urll=postgres://odoo:pa#ssW0rd@h/db"], ["anonymize", "--preset", "postgres://odoo:pa#ssW0rd@h/db"]]) {
      for (const json of [false, true]) {
        const r = await runCaptured([...argv, ...(json ? ["--json"] : [])]);
        expect(r.code).toBe(2);
        expect(r.stdout + r.stderr).toContain("postgres://odoo:***@h/db");
        expect(r.stdout + r.stderr).not.toContain("ssW0rd");
      }
    }
  });

  test("an SSH password or passphrase of any length is masked by config show", async () => {
    for (const secret of ["a", "ab", "abc", "odoo", "Long-Passw0rd!"]) {
      const cwd = dirWith(`version: 1
environments:
  prod:
    odoo: { runner: ssh, ssh: { host: h, user: deploy, password: ${JSON.stringify(secret)}, passphrase: ${JSON.stringify(secret)} } }
    database: { ssh: { host: h, user: deploy, password: ${JSON.stringify(secret)} } }
`);
      try {
        for (const json of [false, true]) {
          const r = await runCaptured(["config", "show", ...(json ? ["--json"] : [])], { cwd });
          expect(r.code).toBe(0);
          const out = r.stdout + r.stderr;
          expect(out).not.toContain(`: ${JSON.stringify(secret)}`);
          expect(out.match(/"(password|passphrase)": "\*\*\*"/g)?.length).toBe(3);
        }
      } finally {
        rmSync(cwd, { recursive: true, force: true });
      }
    }
  });

  test("a value substituted from the environment is masked where it stands, not everywhere", async () => {
    const cwd = dirWith(`version: 1
environments:
  prod:
    database: { url: "postgres://odoo:\${PGPASS}@127.0.0.1:1/odoo", name: "\${DB_NAME}" }
    odoo: { odooBin: "\${ODOO_BIN}" }
`);
    try {
      const env = { PGPASS: "Zq8#kLm2p", DB_NAME: "odoo", ODOO_BIN: "/opt/odoo/odoo-bin" };
      const r = await runCaptured(["config", "show", "--json"], { cwd, env });
      expect(r.code).toBe(0);
      expect(r.json<{ settings: unknown }>().settings).toEqual({
        database: { url: "postgres://odoo:***@127.0.0.1:1/odoo", name: "odoo" },
        odoo: { odooBin: "/opt/odoo/odoo-bin" },
      });
      expect(r.stdout + r.stderr).not.toContain("Zq8");
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

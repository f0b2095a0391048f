import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, test } from "vitest";
import { runCli } from "../main.js";
import { runCaptured } from "../test-helpers.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "cli-init-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(dir, `odoo-deploy-${++n}.yaml`);
const ESC = String.fromCharCode(27);
const ANSI = new RegExp(`${ESC}\\[[0-9;]*[A-Za-z]`, "g");

describe("odoo-deploy init", () => {
  test("flags only (not a terminal): a commented file that config show loads; the password is not written", async () => {
    const file = fresh();
    const r = await runCaptured([
      "init", "--file", file, "--env", "staging", "--db-url", "postgres://odoo:S3cret-pw@db.internal:5432/odoo_staging",
      "--runner", "docker", "--compose-project", "odoo", "--compose-service", "odoo", "--addons-path", "custom_addons,oca/web",
      "--backup-dir", "/var/backups/odoo", "--health-url", "https://staging.example.com", "--json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ ok: true, file, environment: "staging", passwordVariable: "ODOO_DEPLOY_DB_PASSWORD" });
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("S3cret-pw");
    expect(r.stdout + r.stderr).not.toContain("S3cret-pw");
    expect(text).toContain("url: postgres://odoo:${ODOO_DEPLOY_DB_PASSWORD}@db.internal:5432/odoo_staging");
    expect(text).toMatch(/^ {6}# odooBin: /m); // what was not given stays a commented example
    expect(text.split("\n").filter((l) => l.trim().startsWith("#")).length).toBeGreaterThan(10);

    const shown = await runCaptured(["config", "show", "--file", file, "--json"], { env: { ODOO_DEPLOY_DB_PASSWORD: "from-env" } });
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json()).toMatchObject({
      environment: "staging",
      settings: {
        database: { url: "postgres://odoo:***@db.internal:5432/odoo_staging" },
        odoo: { runner: "docker", docker: { composeProject: "odoo", composeService: "odoo" } },
        repo: { addonsPaths: ["custom_addons", "oca/web"] },
        backups: { directory: "/var/backups/odoo" },
        health: { url: "https://staging.example.com" },
      },
    });
  });

  test("never overwrites: an existing file is a usage error (exit 2) and stays as it was; --force replaces it", async () => {
    const file = fresh();
    writeFileSync(file, "# my own config\n");
    const r = await runCaptured(["init", "--file", file, "--db-url", "postgres:///odoo"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("exists; nothing was written (--force replaces it)");
    expect(readFileSync(file, "utf8")).toBe("# my own config\n");
    const forced = await runCaptured(["init", "--file", file, "--db-url", "postgres:///odoo", "--force"]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toContain("version: 1");
  });

  test("runs even when the file it replaces is invalid, and refuses incomplete runner settings before writing", async () => {
    const file = fresh();
    writeFileSync(file, "version: 7\n");
    const incomplete = await runCaptured(["init", "--file", file, "--runner", "ssh", "--force"]);
    expect(incomplete.code).toBe(2);
    expect(incomplete.stderr).toContain("--ssh-host HOST and --ssh-user USER");
    expect(readFileSync(file, "utf8")).toBe("version: 7\n");
    const ok = await runCaptured(["init", "--file", file, "--runner", "ssh", "--ssh-host", "erp.internal", "--ssh-user", "deploy", "--force"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(readFileSync(file, "utf8")).toMatch(/ssh:\n {8}host: erp.internal\n {8}user: deploy\n/);
  });

  test("values that YAML would misread are quoted", async () => {
    const file = fresh();
    const r = await runCaptured(["init", "--file", file, "--env", "prod: #1", "--db-name", "yes", "--backup-dir", "/backups/#odoo: x"]);
    expect(r.code, r.stderr).toBe(0);
    const shown = await runCaptured(["config", "show", "--file", file, "--json"]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.json()).toMatchObject({ environment: "prod: #1", settings: { database: { name: "yes" }, backups: { directory: "/backups/#odoo: x" } } });
  });

  test("on a terminal it asks for what the flags left out", async () => {
    const file = fresh();
    const answers = ["", "postgres://odoo@db.internal/odoo_prod", "", "docker", "odoo-web", "custom_addons", "/srv/backups", "https://erp.example.com"];
    const stdin = Object.assign(new PassThrough(), { isTTY: true });
    let stderr = "";
    const prompts: string[] = [];
    const code = await runCli(["init", "--file", file], {
      io: {
        stdout: { write: () => true },
        stderr: Object.assign(new PassThrough(), {
          isTTY: true,
          write(s: string) {
            stderr += s;
            // Answer each prompt as it appears, as a person at the terminal would.
            if (/: $/.test(s) && !s.slice(-3).includes(ESC)) {
              prompts.push(s);
              stdin.write(`${answers.shift() ?? ""}\n`);
            }
            return true;
          },
        }),
        stdin,
        env: {},
        cwd: dir,
      },
    });
    expect(code, stderr).toBe(0);
    expect(prompts.map((p) => p.replace(ANSI, "").trim())).toEqual([
      "Environment name [production]:",
      "PostgreSQL URL of the Odoo database (a password is moved to an environment variable) [postgres:///odoo]:",
      "Odoo database name [odoo_prod]:",
      "Where does Odoo run (local, docker, ssh) [local]:",
      "Odoo container name [odoo]:",
      "Addons paths inside this repository (comma-separated) [custom_addons]:",
      "Backups directory [/var/backups/odoo]:",
      "Odoo server URL for health checks (empty: none):",
    ]);
    const shown = await runCaptured(["config", "show", "--file", file, "--json"]);
    expect(shown.json()).toMatchObject({
      environment: "production",
      settings: {
        database: { url: "postgres://odoo@db.internal/odoo_prod", name: "odoo_prod" },
        odoo: { runner: "docker", docker: { container: "odoo-web" } },
        backups: { directory: "/srv/backups" },
        health: { url: "https://erp.example.com" },
      },
    });
  });
});

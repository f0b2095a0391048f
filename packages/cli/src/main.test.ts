import { describe } from "vitest";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { runCaptured } from "./test-helpers.js";
import { commands } from "./commands/index.js";

describe("odoo-deploy CLI frame", () => {
  test("--help lists every registered command", async () => {
    const r = await runCaptured(["--help"]);
    expect(r.code).toBe(0);
    const topLevel = new Set(commands.map((c) => c.path.split(" ")[0]!));
    for (const name of topLevel) expect(r.stdout).toMatch(new RegExp(`^  ${name}\\b`, "m"));
  });

  test("--version prints the package version", async () => {
    const r = await runCaptured(["--version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  test("an unknown flag is a usage error (exit 2), also as a JSON error document", async () => {
    const human = await runCaptured(["status", "--no-such-flag"]);
    expect(human.code).toBe(2);
    expect(human.stderr).toContain("unknown option '--no-such-flag'");
    const json = await runCaptured(["status", "--no-such-flag", "--json"]);
    expect(json.code).toBe(2);
    expect(json.json<{ error: { code: string } }>().error.code).toBe("USAGE");
  });

  test("an unknown command is a usage error (exit 2) everywhere: with --help, under a parent, after help, with --json", async () => {
    const cases: [string[], string][] = [
      [["nosuch"], "unknown command 'nosuch'"],
      [["nosuch", "--help"], "unknown command 'nosuch'"],
      [["--json", "nosuch", "-h"], "unknown command 'nosuch'"],
      [["help", "nosuch"], "unknown command 'nosuch'"],
      [["backup", "nosuch"], "unknown command 'nosuch' for 'backup' (commands: verify, list, prune)"],
      [["backup", "--db-url", "postgres://h/db", "nosuch", "--help"], "unknown command 'nosuch' for 'backup'"],
      [["config", "nosuch"], "unknown command 'nosuch' for 'config' (commands: show, schema)"],
      [["anonymize", "nosuch", "--help"], "unknown command 'nosuch' for 'anonymize'"],
    ];
    for (const [argv, message] of cases) {
      const human = await runCaptured(argv.filter((a) => a !== "--json"));
      expect(human.code, argv.join(" ")).toBe(2);
      expect(human.stdout, argv.join(" ")).toBe("");
      expect(human.stderr, argv.join(" ")).toContain(`error: ${message}`);
      const json = await runCaptured(argv.includes("--json") ? argv : [...argv, "--json"]);
      expect(json.code, argv.join(" ")).toBe(2);
      expect(json.json<{ error: { code: string; message: string } }>().error, argv.join(" ")).toMatchObject({ code: "USAGE", message: expect.stringContaining(message) });
    }
    // No command at all is a usage error too; help that was asked for is not.
    for (const argv of [[], ["config"], ["backup", "list", "--help"], ["help", "backup"], ["restore", "--help"], ["anonymize", "verify", "--canary", "a", "b", "--help"]]) {
      expect((await runCaptured(argv)).code, argv.join(" ")).toBe(argv.length === 0 || argv[0] === "config" ? 2 : 0);
    }
    expect((await runCaptured(["--json"])).json<{ error: { code: string } }>().error.code).toBe("USAGE");
  });

  test("a missing required setting is a usage error naming where to set it", async () => {
    const r = await runCaptured(["status"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--db-url");
  });

  test("an unreachable database is an environment error (exit 3) whose message hides the password", async () => {
    const url = "postgres://odoo:Sup3r-Secret@127.0.0.1:1/prod";
    for (const json of [false, true]) {
      const r = await runCaptured(["status", "--db-url", url, ...(json ? ["--json"] : [])]);
      expect(r.code).toBe(3);
      expect(r.stdout + r.stderr).toContain("postgres://odoo:***@127.0.0.1:1/prod");
      expect(r.stdout + r.stderr).not.toContain("Sup3r-Secret");
    }
  });

  test("status on the real Odoo 16 database reports version and module states; the password never shows", async ({ labDb, pg }) => {
    // Trust authentication ignores the password, so a secret-bearing URL still connects.
    const url = `postgres://postgres:Very%20Secret%3Apw@127.0.0.1:${pg.port}/${labDb.name}`;
    const json = await runCaptured(["status", "--db-url", url, "--json"]);
    expect(json.code).toBe(0);
    const report = json.json<{ ok: boolean; odooSeries: string; serverVersion: string; moduleStates: Record<string, number>; database: string }>();
    expect(report.ok).toBe(true);
    expect(report.odooSeries).toBe("16.0");
    expect(report.moduleStates.installed).toBe(65);
    expect(report.database).toContain(":***@");
    expect(report.serverVersion).toMatch(/^\d+\.\d+/);

    const human = await runCaptured(["status", "--db-url", url, "--verbose"]);
    expect(human.code).toBe(0);
    expect(human.stderr).toContain("65 installed");
    for (const out of [json.stdout, json.stderr, human.stdout, human.stderr]) {
      expect(out).not.toContain("Very Secret");
      expect(out).not.toContain("Very%20Secret");
    }
  });

  test("status fails (exit 1) on a database with a module left half-updated", async ({ labDb, pg }) => {
    await pg.query("update ir_module_module set state = 'to upgrade' where name = 'crm'", [], labDb.name);
    const r = await runCaptured(["status", "--db-url", labDb.url, "--json"]);
    expect(r.code).toBe(1);
    const report = r.json<{ pendingModules: { name: string; state: string }[] }>();
    expect(report.pendingModules).toEqual([{ name: "crm", state: "to upgrade" }]);
  });

  test("config show prints resolved settings with secrets redacted", async () => {
    const r = await runCaptured(["config", "show", "--json"], {
      env: { ODOO_DEPLOY_DATABASE_URL: "postgres://u:hunter2hunter2@db/prod" },
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("postgres://u:***@db/prod");
    expect(r.stdout).not.toContain("hunter2hunter2");
  });
});

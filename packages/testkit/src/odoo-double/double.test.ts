import { mkdtempSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "../vitest.js";
import { createOdooAddonsDir, writeOdooConfig, type LabDemoVariant } from "./fixtures.js";
import type { PgCluster } from "../postgres.js";
import { startOdooDouble } from "./server.js";
import { exceptionLines, labDemoInstalled, moduleRow, problems, realLog, runDouble, setup, tmpDir, until, type LogRecord } from "./double-harness.js";

describe("odoo-bin --stop-after-init, compared with ../shared/odoo16-lab/logs", () => {
  test("install then version bump: exit 0, installed, adapted latest_version, clean log like exp-b1/exp-b2", async ({ pg, db, shared }) => {
    const { addons, conf } = setup(pg);
    const install = await runDouble(["-c", conf, "-d", db.name, "-i", "lab_demo", "--stop-after-init", "--no-http"]);
    expect(install.code).toBe(0);
    expect(problems(install.records, db.name)).toEqual(problems(realLog(shared, "exp-b1_install_lab_demo.log"), "odoo_prod"));
    expect(install.records.map((r) => r.message)).toEqual(
      expect.arrayContaining([
        "Odoo version 16.0 ",
        "ALLOW access to module.button_install on ['Lab Demo'] to user __system__ #1 via n/a ",
        "loading lab_demo/views/res_partner_views.xml ",
        "loading lab_demo/data/lab_demo_data.xml ",
        "Modules loaded. ",
      ]),
    );
    expect(await moduleRow(pg, db.name, "lab_demo")).toEqual({ state: "installed", latest_version: "16.0.1.2.0" });
    // data of the module really landed: the XML record and the Python field's column
    expect(await pg.query("SELECT value FROM ir_config_parameter WHERE key = 'lab_demo.marker'", [], db.name)).toEqual([{ value: "v2" }]);
    expect(await pg.query("SELECT 1 FROM information_schema.columns WHERE table_name = 'res_partner' AND column_name = 'x_lab_score'", [], db.name)).toHaveLength(1);

    addons.applyVariant("version-bump");
    const update = await runDouble(["-c", conf, "-d", db.name, "-u", "lab_demo", "--stop-after-init", "--no-http"]);
    expect(update.code).toBe(0);
    const real = realLog(shared, "exp-b2_update_lab_demo.log");
    expect(problems(update.records, db.name)).toEqual(problems(real, "odoo_prod"));
    // the same sequence of loggers/messages for the update itself (counts and timings aside)
    const shape = (rs: LogRecord[]) =>
      rs
        .filter((r) => r.db !== "?")
        .map((r) => `${r.logger}: ${r.message.replace(/\d+(\.\d+)?s?|\(\d+\/\d+\)/g, "N")}`)
        .filter((m) => !/loading N modules|N modules loaded/.test(m));
    expect(shape(update.records)).toEqual(shape(real));
    expect(await moduleRow(pg, db.name, "lab_demo")).toEqual({ state: "installed", latest_version: "16.0.1.3.0" });
    addons.cleanup();
  });

  const failures: { variant: LabDemoVariant; log: string; exception: string[] }[] = [
    { variant: "syntax-error", log: "exp-c1_syntax_error.log", exception: ["SyntaxError: '(' was never closed"] },
    { variant: "bad-view-field", log: "exp-c2_bad_view_field.log", exception: ['Field "x_lab_nonexistent" does not exist in model "res.partner"'] },
    { variant: "bad-xmlid", log: "exp-c3_bad_xmlid.log", exception: ["ValueError: External ID not found in the system: base.lab_no_such_partner"] },
    { variant: "missing-dependency", log: "exp-d3_missing_dependency.log", exception: ["odoo.exceptions.UserError: You try to upgrade the module lab_demo that depends on the module: lab_missing_dep."] },
  ];
  for (const f of failures) {
    test(`${f.variant}: exit 255, state unchanged, ERROR/CRITICAL records as in ${f.log}`, async ({ pg, db, shared }) => {
      const { addons, conf } = setup(pg);
      await labDemoInstalled(pg, db.name);
      addons.applyVariant(f.variant);
      const r = await runDouble(["-c", conf, "-d", db.name, "-u", "lab_demo", "--stop-after-init", "--no-http"]);
      const real = realLog(shared, f.log);
      expect(r.code).toBe(255);
      expect(problems(r.records, db.name)).toEqual(problems(real, "odoo_prod"));
      for (const e of f.exception) {
        expect(exceptionLines(r.records)).toContain(e);
        expect(exceptionLines(real)).toContain(e);
      }
      // the whole update was rolled back, schema included
      expect(await moduleRow(pg, db.name, "lab_demo")).toEqual({ state: "installed", latest_version: "16.0.1.2.0" });
      expect(r.records.at(-1)?.message).toBe("ConnectionPool(used=0/count=0/max=64): Closed 1 connections  ");
      addons.cleanup();
    });
  }

  test("bad-xmlid: ParseError names the file and line of the record, like the real log", async ({ pg, db }) => {
    const { addons, conf } = setup(pg, "bad-xmlid");
    const r = await runDouble(["-c", conf, "-d", db.name, "-i", "lab_demo", "--stop-after-init"]);
    expect(r.code).toBe(255);
    expect(exceptionLines(r.records)).toContain("odoo.tools.convert.ParseError: while parsing lab_demo/data/lab_demo_data.xml:10, somewhere inside");
    // a failed install leaves the module uninstalled and no partial data
    expect(await moduleRow(pg, db.name, "lab_demo")).toEqual({ state: "uninstalled", latest_version: null });
    expect(await pg.query("SELECT 1 FROM ir_config_parameter WHERE key = 'lab_demo.marker'", [], db.name)).toHaveLength(0);
    addons.cleanup();
  });

  test("misspelled module: exit 0 and only the 'invalid module names' warning (exp-d1)", async ({ pg, db, shared }) => {
    const { addons, conf } = setup(pg);
    await labDemoInstalled(pg, db.name);
    const r = await runDouble(["-c", conf, "-d", db.name, "-u", "lab_demoo", "--stop-after-init"]);
    expect(r.code).toBe(0);
    expect(problems(r.records, db.name)).toEqual(problems(realLog(shared, "exp-d1_unknown_module.log"), "odoo_prod"));
    addons.cleanup();
  });

  test("not installable: exit 0, left in 'to upgrade'; a later unrelated -u applies it silently (exp-d4, exp-d5)", async ({ pg, db, shared }) => {
    const { addons, conf } = setup(pg);
    await labDemoInstalled(pg, db.name);
    addons.applyVariant("not-installable");
    const r = await runDouble(["-c", conf, "-d", db.name, "-u", "lab_demo", "--stop-after-init"]);
    expect(r.code).toBe(0);
    expect(problems(r.records, db.name)).toEqual(problems(realLog(shared, "exp-d4_not_installable.log"), "odoo_prod"));
    expect((await moduleRow(pg, db.name, "lab_demo"))?.state).toBe("to upgrade");

    addons.resetLabDemo();
    const later = await runDouble(["-c", conf, "-d", db.name, "-u", "mail", "--stop-after-init"]);
    expect(later.code).toBe(0);
    expect(problems(later.records, db.name)).toEqual(problems(realLog(shared, "exp-d5_update_uninstalled.log"), "odoo_prod"));
    expect(later.records.some((x) => x.message.startsWith("Loading module lab_demo ("))).toBe(true);
    expect((await moduleRow(pg, db.name, "lab_demo"))?.state).toBe("installed");
    addons.cleanup();
  });

  test("-u also updates installed dependents; manifest '1.3' is stored as 16.0.1.3; .sql data files run", async ({ pg, db }) => {
    const { addons, conf } = setup(pg);
    expect((await runDouble(["-c", conf, "-d", db.name, "-i", "lab_extra", "--stop-after-init"])).code).toBe(0);
    expect(await moduleRow(pg, db.name, "lab_extra")).toEqual({ state: "installed", latest_version: "16.0.1.3" });
    expect(await pg.query("SELECT note FROM lab_extra_audit", [], db.name)).toEqual([{ note: "lab_extra data loaded" }]);
    const r = await runDouble(["-c", conf, "-d", db.name, "-u", "lab_demo", "--stop-after-init"]);
    expect(r.records.filter((x) => x.message.startsWith("Loading module ")).map((x) => x.message.split(" (")[0])).toEqual([
      "Loading module lab_demo",
      "Loading module lab_extra",
    ]);
    addons.cleanup();
  });

  test("PG* variables are honoured like psycopg2, unknown options fail like optparse", async ({ pg, db }) => {
    const addons = createOdooAddonsDir();
    const r = await runDouble(["-d", db.name, "-i", "base", "--stop-after-init", "--addons-path", addons.path], {
      PGHOST: pg.socketDir,
      PGPORT: String(pg.port),
      PGUSER: "postgres",
    });
    expect(r.code).toBe(0);
    expect(await moduleRow(pg, db.name, "web")).toEqual({ state: "installed", latest_version: "16.0.1.0" });
    const bad = await runDouble(["--no-such-option"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("error: no such option: --no-such-option");
    addons.cleanup();
  });
});

describe("odoo-bin neutralize", () => {
  test("neutralizes like neutralize-diff-copy.txt, a second run adds another dummy server (not idempotent)", async ({ pg, labDb }) => {
    const addons = createOdooAddonsDir();
    const dir = mkdtempSync(path.join(tmpDir(), "conf-"));
    const conf = writeOdooConfig(dir, { dbHost: pg.socketDir, dbPort: pg.port, dbUser: "postgres", addonsPath: [addons.path] });
    const r = await runDouble(["neutralize", "-c", conf, "-d", labDb.name]);
    expect(r.code).toBe(0);
    expect(r.records.map((x) => x.message.trim())).toEqual([`Starting ${labDb.name} database neutralization`, "Neutralization finished"]);
    const q = (sql: string) => pg.query(sql, [], labDb.name);
    expect(await q("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'")).toEqual([{ value: "true" }]);
    expect(await q("SELECT count(*)::int AS n FROM ir_cron WHERE active")).toEqual([{ n: 1 }]);
    expect(await q("SELECT smtp_host, smtp_port FROM ir_mail_server WHERE active")).toEqual([{ smtp_host: "invalid", smtp_port: 1025 }]);
    expect(await q("SELECT count(*)::int AS n FROM fetchmail_server WHERE active")).toEqual([{ n: 0 }]);
    expect(await q("SELECT active FROM ir_ui_view WHERE key = 'web.neutralize_banner'")).toEqual([{ active: true }]);
    // passwords are left in clear text, as Odoo does
    expect((await q("SELECT count(*)::int AS n FROM ir_mail_server WHERE smtp_pass IS NOT NULL"))[0]).toEqual({ n: 1 });
    await runDouble(["neutralize", "-c", conf, "-d", labDb.name]);
    expect(await q("SELECT count(*)::int AS n FROM ir_mail_server WHERE smtp_host = 'invalid'")).toEqual([{ n: 2 }]);
    const missing = await runDouble(["neutralize", "-c", conf, "-d", "no_such_db"]);
    expect(missing.code).toBe(1);
    expect(missing.records.at(-1)?.message).toBe("An error occurred during the neutralization. THE DATABASE IS NOT NEUTRALIZED! ");
    addons.cleanup();
  });
});

describe("HTTP mode, compared with http-probes*.txt", () => {
  const pgEnv = (pg: PgCluster) => ({ PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: "postgres" });

  test("health, login with db, version_info; database down; Odoo 18 db_server_status; 500 fault", async ({ pg, db, shared }) => {
    const addons = createOdooAddonsDir();
    expect((await runDouble(["-d", db.name, "-i", "base", "--stop-after-init", "--addons-path", addons.path], pgEnv(pg))).code).toBe(0);
    const odoo = await startOdooDouble({ args: ["--addons-path", addons.path], env: pgEnv(pg) });
    try {
      const health = await until(() => fetch(`${odoo.url}/web/health`));
      const probes = readFileSync(path.join(shared, "odoo16-lab/logs/http-probes.txt"), "utf8");
      expect(health.status).toBe(200);
      expect(health.headers.get("cache-control")).toBe("no-store");
      expect(health.headers.get("content-type")).toBe("application/json");
      const healthBody = await health.text();
      expect(probes).toContain(`\n${healthBody}\n### GET /web/health?db_server_status=1`);

      const version = await fetch(`${odoo.url}/web/webclient/version_info`, { method: "POST", body: "{}", headers: { "Content-Type": "application/json" } });
      expect(probes).toContain(await version.text());

      const first = await fetch(`${odoo.url}/web/login?db=${db.name}`, { redirect: "manual" });
      expect(first.status).toBe(302);
      const cookie = /session_id=[0-9a-f]+/.exec(first.headers.get("set-cookie") ?? "")?.[0];
      expect(cookie).toBeDefined();
      const second = await fetch(new URL(first.headers.get("location")!, odoo.url), { redirect: "manual", headers: { Cookie: cookie! } });
      expect(second.status).toBe(200);
      expect(await second.text()).toContain('name="login"');

      odoo.setFault("db-down");
      const pgdown = readFileSync(path.join(shared, "odoo16-lab/logs/http-probes-pgdown.txt"), "utf8");
      // the same session that just loaded the login page is now sent to the database selector
      const down = await until(async () => {
        const r = await fetch(`${odoo.url}/web/login`, { redirect: "manual", headers: { Cookie: cookie! } });
        return r.status === 303 ? r : undefined;
      });
      expect(new URL(down.headers.get("location")!).pathname).toBe("/web/database/selector");
      expect(pgdown).toContain(`${(await down.text()).replace(/\n/g, " ").trim()}`.slice(0, 60));
      const downHealth = await fetch(`${odoo.url}/web/health?db_server_status=1`);
      expect([downHealth.status, await downHealth.text()]).toEqual([200, '{"status": "pass"}']);

      odoo.setFault("500");
      await until(async () => ((await fetch(`${odoo.url}/web/health`)).status === 500 ? true : undefined));
    } finally {
      await odoo.stop();
    }

    const odoo18 = await startOdooDouble({ env: { ...pgEnv(pg), ODOO_DOUBLE_VERSION: "18.0", ODOO_DOUBLE_FAULT: "db-down" } });
    try {
      const r = await until(() => fetch(`${odoo18.url}/web/health?db_server_status=1`));
      expect([r.status, await r.text()]).toEqual([500, '{"status": "fail", "db_server_status": false}']);
    } finally {
      await odoo18.stop();
    }
    addons.cleanup();
  });

  test("a server pinned to a database whose module is broken answers 500 everywhere (exp-d2)", async ({ pg, db }) => {
    const { addons, conf } = setup(pg);
    await labDemoInstalled(pg, db.name);
    addons.applyVariant("syntax-error");
    // a running server: its registry load runs the leftover upgrade; -u makes the broken code load
    const odoo = await startOdooDouble({ args: ["-c", conf, "-d", db.name, "-u", "lab_demo"] });
    try {
      await until(async () => (odoo.log().includes("Failed to initialize database") ? true : undefined));
      const r = await fetch(`${odoo.url}/web/health`);
      expect(r.status).toBe(500);
      expect(await r.text()).toContain("<title>500 Internal Server Error</title>");
      // a running server keeps its session on the database
      const sessions = await pg.query("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'odoo-double'", [db.name]);
      expect(sessions).toEqual([{ n: 1 }]);
    } finally {
      await odoo.stop();
    }
    addons.cleanup();
  });
});

import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createOdooAddonsDir, odooDoubleArgv, writeOdooConfig, type FixtureSeries, type OdooAddonsDir, type PgCluster } from "@odoo-deploy/testkit";
import { afterAll, beforeAll, describe, expect, test, type TestDatabase } from "@odoo-deploy/testkit/vitest";
import { inspectDatabase } from "../db/inspect.js";
import { neutralizeDatabase, type NeutralizeEvent } from "./neutralize-database.js";

let tmp: string;
let odooBin: string[];
beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "neutralize-test-"));
  odooBin = await odooDoubleArgv();
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Fixture addons plus stubs for every other module installed in the lab database, and an Odoo config. */
async function labAddons(pg: PgCluster, db: TestDatabase, stubs = true, series: FixtureSeries = "16.0"): Promise<{ addons: OdooAddonsDir; conf: string }> {
  const addons = createOdooAddonsDir({ series });
  if (stubs) {
    const rows = await pg.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state = 'installed'", [], db.name);
    addons.addStubModules(rows.map((r) => r.name));
  }
  const conf = writeOdooConfig(mkdtempSync(path.join(tmp, "conf-")), { dbHost: pg.socketDir, dbPort: pg.port, dbUser: "postgres", addonsPath: [addons.path] });
  return { addons, conf };
}

/** Everything neutralize touches, to compare runs. */
async function snapshot(pg: PgCluster, db: string) {
  return {
    mail: await pg.query("SELECT id, name, smtp_host, active, smtp_user, smtp_pass FROM ir_mail_server ORDER BY id", [], db),
    fetchmail: await pg.query('SELECT id, active, "user", password FROM fetchmail_server ORDER BY id', [], db),
    crons: await pg.query("SELECT id, active FROM ir_cron ORDER BY id", [], db),
    params: await pg.query("SELECT key, value FROM ir_config_parameter ORDER BY key", [], db),
    banner: await pg.query("SELECT active FROM ir_ui_view WHERE key = 'web.neutralize_banner'", [], db),
  };
}

describe("neutralizeDatabase with the Odoo double on the real lab database", () => {
  test("neutralizes and verifies, clears credentials; a second run changes nothing", async ({ pg, labDb }) => {
    const { addons, conf } = await labAddons(pg, labDb);
    const before = await snapshot(pg, labDb.name);
    expect(before.mail.some((m) => m.smtp_pass)).toBe(true);
    expect(before.fetchmail.some((m) => m.password)).toBe(true);

    const events: NeutralizeEvent[] = [];
    const first = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, odooBin, odooConfig: conf, onEvent: (e) => events.push(e) });
    expect(first.ok).toBe(true);
    expect(first).toMatchObject({ alreadyNeutralized: false, ran: true, exitCode: 0, missingModules: [] });
    expect(first.credentialsCleared).toBe(2);
    expect(first.checks.map((c) => [c.name, c.status])).toEqual([
      ["crons inactive", "ok"],
      ["outgoing mail disabled", "ok"],
      ["incoming mail disabled", "ok"],
      ["database.is_neutralized", "ok"],
      ["no stored credentials", "ok"],
    ]);
    expect(events.some((e) => e.type === "neutralize:log" && e.line.includes("Neutralization finished"))).toBe(true);

    const after = await snapshot(pg, labDb.name);
    expect(after.mail.filter((m) => m.active)).toEqual([expect.objectContaining({ smtp_host: "invalid", smtp_pass: null })]);
    expect(after.mail.every((m) => m.smtp_pass === null && m.smtp_user === null)).toBe(true);
    expect(after.fetchmail.every((m) => !m.active && m.password === null)).toBe(true);
    expect(after.banner).toEqual([{ active: true }]);

    const second = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, odooBin, odooConfig: conf });
    expect(second.ok).toBe(true);
    expect(second).toMatchObject({ alreadyNeutralized: true, ran: false, credentialsCleared: 0 });
    expect(second.steps.find((s) => s.name === "odoo-bin neutralize")?.status).toBe("skipped");
    // Odoo's own command would have added a second dummy mail server; ours leaves the database as it was
    expect(await snapshot(pg, labDb.name)).toEqual(after);
    addons.cleanup();
  });

  test("refuses when installed modules are missing from the addons path, and changes nothing", async ({ pg, labDb }) => {
    const { addons, conf } = await labAddons(pg, labDb, false);
    const before = await snapshot(pg, labDb.name);
    const r = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, odooBin, odooConfig: conf });
    expect(r.ok).toBe(false);
    expect(r.ran).toBe(false);
    expect(r.missingModules).toEqual(expect.arrayContaining(["crm", "sale_management"]));
    expect(r.missingModules).not.toContain("lab_demo");
    const failed = r.steps.find((s) => s.status === "failed");
    expect(failed?.name).toBe("addons-path");
    expect(failed?.detail).toContain("Odoo would skip their neutralize SQL silently");
    expect(await snapshot(pg, labDb.name)).toEqual(before);
    addons.cleanup();
  });

  test("keepCredentials leaves them; force runs Odoo again; a failing odoo-bin is reported with its CRITICAL line", async ({ pg, labDb }) => {
    const { addons, conf } = await labAddons(pg, labDb);
    const kept = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, odooBin, odooConfig: conf, keepCredentials: true });
    expect(kept.ok).toBe(true);
    expect(kept.checks.find((c) => c.name === "no stored credentials")?.status).toBe("skipped");
    expect((await snapshot(pg, labDb.name)).mail.some((m) => m.smtp_pass)).toBe(true);

    const forced = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, odooBin, odooConfig: conf, force: true });
    expect(forced).toMatchObject({ ok: true, ran: true, alreadyNeutralized: true });
    expect((await snapshot(pg, labDb.name)).mail.filter((m) => m.smtp_host === "invalid")).toHaveLength(2);

    // odoo-bin pointed at another (missing) database: exit 1 with Odoo's CRITICAL line in the report
    const broken = await neutralizeDatabase({ dbName: labDb.name, dbUrl: labDb.url, odooBin, odooConfig: conf, force: true, extraArgs: ["-d", "no_such_db"] });
    expect(broken.ok).toBe(false);
    expect(broken.exitCode).toBe(1);
    expect(broken.steps.at(-1)?.detail).toBe("exit 1: An error occurred during the neutralization. THE DATABASE IS NOT NEUTRALIZED!");
    addons.cleanup();
  });
});

// The real 17.0 and 18.0 databases hold no mail server: production-like ones are added, with credentials.
const SERVERS = [
  `INSERT INTO ir_mail_server (name, smtp_host, smtp_port, smtp_authentication, smtp_encryption, smtp_user, smtp_pass, active, sequence)
   VALUES ('Production SMTP', 'smtp.example.com', 587, 'login', 'starttls', 'mailer@example.com', 'smtp-secret', true, 10)`,
  `INSERT INTO fetchmail_server (name, server, port, server_type, "user", password, active, state, is_ssl, priority)
   VALUES ('Production IMAP', 'imap.example.com', 993, 'imap', 'inbox@example.com', 'imap-secret', true, 'done', true, 5)`,
];

for (const [series, nightly] of [
  ["17.0", "17.0-20240709"],
  ["18.0", "18.0-20250506"],
] as const) {
  describe(`neutralizeDatabase with the Odoo double (${nightly}) on the real ${series} lab database`, () => {
    test("verifies on the series' column types, clears credentials, is idempotent; status reads it neutralized", async ({ pg, labDbOf }) => {
      const db = await labDbOf(series);
      for (const q of SERVERS) await pg.query(q, [], db.name);
      const { addons, conf } = await labAddons(pg, db, true, series);
      const env = { ODOO_DOUBLE_VERSION: nightly };
      expect((await inspectDatabase({ dbUrl: db.url })).neutralized).toBe(false);
      const active = await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM ir_cron WHERE active", [], db.name);
      expect(active[0]!.n).toBeGreaterThan(1);

      const first = await neutralizeDatabase({ dbName: db.name, dbUrl: db.url, odooBin, odooConfig: conf, env });
      expect(first.checks.map((c) => [c.name, c.status, c.detail])).toEqual([
        ["crons inactive", "ok", "only the autovacuum job is active"],
        ["outgoing mail disabled", "ok", "every active outgoing server is Odoo's dummy (1)"],
        ["incoming mail disabled", "ok", "no active fetchmail server"],
        ["database.is_neutralized", "ok", "true"],
        ["no stored credentials", "ok", "none"],
      ]);
      expect(first).toMatchObject({ ok: true, ran: true, exitCode: 0, missingModules: [], credentialsCleared: 2 });
      // The series' own neutralize SQL ran (webhooks of server actions are 17+).
      expect(await pg.query("SELECT count(*)::int AS n FROM ir_act_server WHERE state = 'webhook' AND webhook_url <> 'neutralization - disable webhook'", [], db.name)).toEqual([{ n: 0 }]);

      const after = await snapshot(pg, db.name);
      const second = await neutralizeDatabase({ dbName: db.name, dbUrl: db.url, odooBin, odooConfig: conf, env });
      expect(second).toMatchObject({ ok: true, alreadyNeutralized: true, ran: false, credentialsCleared: 0 });
      expect(await snapshot(pg, db.name)).toEqual(after);
      const status = await inspectDatabase({ dbUrl: db.url });
      expect(status).toMatchObject({ ok: true, neutralized: true, odooSeries: series });
      addons.cleanup();
    });

    test("a cron left active by a module is named by its name, whatever cron_name's type", async ({ pg, labDbOf }) => {
      const db = await labDbOf(series);
      const { addons, conf } = await labAddons(pg, db, true, series);
      const r = await neutralizeDatabase({ dbName: db.name, dbUrl: db.url, odooBin, odooConfig: conf, env: { ODOO_DOUBLE_VERSION: nightly } });
      expect(r.ok).toBe(true);
      const [cron] = await pg.query<{ id: number; cron_name: string }>("UPDATE ir_cron SET active = true WHERE id = (SELECT max(id) FROM ir_cron) RETURNING id, cron_name", [], db.name);
      const again = await neutralizeDatabase({ dbName: db.name, dbUrl: db.url, odooBin, odooConfig: conf });
      expect(again.ok).toBe(false);
      expect(again.checks.find((c) => c.name === "crons inactive")).toMatchObject({ status: "failed", detail: `still active: ${cron!.id} ${cron!.cron_name}` });
      addons.cleanup();
    });
  });
}

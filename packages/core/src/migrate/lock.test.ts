import pg from "pg";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { acquireUpdateLock, clickOdooUpdateLockKey, releaseUpdateLock, type LockHolder } from "./lock.js";
import { otherSessions } from "./sessions.js";

async function client(url: string, applicationName: string): Promise<pg.Client & { pid: number }> {
  const c = new pg.Client({ connectionString: url, application_name: applicationName });
  await c.connect();
  const pid = (await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid")).rows[0]!.pid;
  return Object.assign(c, { pid });
}

describe("click-odoo-update's advisory lock", () => {
  test("the key is click-odoo-update's: int(sha1('click-odoo-update/' + db)[:14], 16)", () => {
    // Computed with Python: int(hashlib.sha1(b"click-odoo-update/odoo_prod").hexdigest()[:14], 16)
    expect(clickOdooUpdateLockKey("odoo_prod")).toBe(59390700862445346n);
  });

  test("a second holder waits with a message, gives up after its timeout, and gets the lock once freed", async ({ db }) => {
    const a = await client(db.url, "odoo-deploy a");
    const b = await client(db.url, "odoo-deploy b");
    try {
      expect(await acquireUpdateLock({ client: a, dbName: db.name, timeoutMs: 0 })).toMatchObject({ acquired: true });
      // The same key taken the way click-odoo-update takes it (blocking lock on the key) is the same lock.
      const held = await a.query<{ n: string }>("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()");
      expect(held.rows[0]?.n).toBe("1");
      const waits: LockHolder[][] = [];
      const second = await acquireUpdateLock({ client: b, dbName: db.name, timeoutMs: 300, pollMs: 50, onWait: (h) => waits.push(h) });
      const aPid = a.pid;
      expect(second).toMatchObject({ acquired: false, holders: [{ pid: aPid, applicationName: "odoo-deploy a" }] });
      expect(waits).toHaveLength(1);

      const waiting = acquireUpdateLock({ client: b, dbName: db.name, timeoutMs: 30_000, pollMs: 50 });
      await releaseUpdateLock(a, db.name);
      expect(await waiting).toMatchObject({ acquired: true });
      // Another database's key is another lock.
      expect(await acquireUpdateLock({ client: a, dbName: `${db.name}_other`, timeoutMs: 0 })).toMatchObject({ acquired: true });
    } finally {
      await a.end();
      await b.end();
    }
  });

  test("click-odoo-update holding the lock (pg_advisory_lock on the key) blocks us", async ({ db }) => {
    const cou = await client(db.url, "click-odoo-update");
    const us = await client(db.url, "odoo-deploy migrate");
    try {
      await cou.query("SELECT pg_advisory_lock($1::bigint)", [clickOdooUpdateLockKey(db.name).toString()]);
      const r = await acquireUpdateLock({ client: us, dbName: db.name, timeoutMs: 0 });
      expect(r).toMatchObject({ acquired: false, holders: [{ applicationName: "click-odoo-update" }] });
    } finally {
      await cou.end();
      await us.end();
    }
  });

  test("abort stops the wait", async ({ db }) => {
    const a = await client(db.url, "odoo-deploy a");
    const b = await client(db.url, "odoo-deploy b");
    try {
      await acquireUpdateLock({ client: a, dbName: db.name, timeoutMs: 0 });
      const ac = new AbortController();
      const p = acquireUpdateLock({ client: b, dbName: db.name, timeoutMs: 60_000, pollMs: 50, signal: ac.signal, onWait: () => ac.abort() });
      await expect(p).rejects.toMatchObject({ code: "ABORTED" });
    } finally {
      await a.end();
      await b.end();
    }
  });
});

describe("otherSessions", () => {
  test("lists sessions on the database except odoo-deploy's own", async ({ db }) => {
    const us = await client(db.url, "odoo-deploy migrate");
    const mine = await client(db.url, "odoo-deploy backup");
    const odoo = await client(db.url, "odoo-4711");
    try {
      const others = await otherSessions(us);
      expect(others.map((s) => [s.pid, s.applicationName])).toEqual([[odoo.pid, "odoo-4711"]]);
      await odoo.end();
      // pg_stat_activity drops a closed backend asynchronously.
      for (let i = 0; i < 50 && (await otherSessions(us)).length > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(await otherSessions(us)).toEqual([]);
    } finally {
      await us.end();
      await mine.end();
      await odoo.end().catch(() => {});
    }
  });
});

import net from "node:net";
import path from "node:path";
import { createOdooAddonsDir, freePort, odooDoubleArgv, startOdooDouble, type PgCluster } from "@odoo-deploy/testkit";
import { afterAll, beforeAll, describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { execFile } from "node:child_process";
import { AbortedError } from "../errors.js";
import { createSshRunner } from "../runner/ssh.js";
import { waitForHealthy, type HealthEvent } from "./wait-for-healthy.js";

const pgEnv = (pg: PgCluster) => ({ PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: "postgres" });

let shared: { pg: PgCluster; name: string; ready: Promise<void> } | undefined;

/** One Odoo database (base installed by the double) shared by this file's tests, which only read it. */
async function odooDb(pg: PgCluster): Promise<{ name: string }> {
  if (!shared) {
    const name = `health_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const ready = (async () => {
      const addons = createOdooAddonsDir();
      const [node, script] = await odooDoubleArgv();
      await new Promise<void>((resolve, reject) =>
        execFile(node!, [script!, "-d", name, "-i", "base", "--stop-after-init", "--addons-path", addons.path], { env: { ...process.env, ...pgEnv(pg) } }, (err) =>
          err ? reject(err) : resolve(),
        ),
      );
      addons.cleanup();
    })();
    shared = { pg, name, ready };
  }
  await shared.ready;
  return { name: shared.name };
}
afterAll(async () => {
  if (shared) await shared.pg.dropDatabase(shared.name);
});

/** Waits until a freshly started server answers at all, so negative tests see its answers, not its start. */
async function listening(url: string): Promise<void> {
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(`${url}/web/health`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${url} never answered`);
}

beforeAll(() => odooDoubleArgv(), 60_000);

describe("waitForHealthy against the Odoo double", () => {
  test("ok after a slow start, with the database's login page loading", async ({ pg }) => {
    const db = await odooDb(pg);
    const odoo = await startOdooDouble({ env: { ...pgEnv(pg), ODOO_DOUBLE_START_DELAY_MS: "1500" } });
    try {
      const events: HealthEvent[] = [];
      const r = await waitForHealthy({ url: odoo.url, dbName: db.name, timeoutMs: 30_000, initialDelayMs: 100, maxDelayMs: 400, onEvent: (e) => events.push(e) });
      expect(r.ok).toBe(true);
      expect(r.attempts).toBeGreaterThan(1);
      expect(r.checks[0]).toMatchObject({ name: "attempt 1", status: "failed", detail: "connection refused" });
      expect(r.checks.at(-1)).toMatchObject({ status: "ok", detail: `/web/health pass; /web/login?db=${db.name} answered 200` });
      expect(events.filter((e) => e.type === "health:attempt")).toHaveLength(r.attempts);
      expect(events.some((e) => e.type === "health:wait")).toBe(true);
    } finally {
      await odoo.stop();
    }
  });

  test("not ok when the database is down: /web/health passes (Odoo 16) but the login page goes to the selector", async ({ pg }) => {
    const db = await odooDb(pg);
    const odoo = await startOdooDouble({ env: { ...pgEnv(pg), ODOO_DOUBLE_FAULT: "db-down" } });
    try {
      await listening(odoo.url);
      const r = await waitForHealthy({ url: odoo.url, dbName: db.name, timeoutMs: 2_500, initialDelayMs: 100, maxDelayMs: 300 });
      expect(r.ok).toBe(false);
      expect(r.dbName).toBe(db.name);
      expect(r.attempts).toBeGreaterThan(1);
      // The first attempt has its full budget; the last one may be cut to the deadline.
      expect(r.checks[0]).toMatchObject({ status: "failed", detail: `database ${db.name} not available: /web/login redirects to the database selector` });
      expect(r.reason).toContain("database selector");
      // without --db-name, Odoo 16's /web/health alone cannot tell: it passes with PostgreSQL down
      const blind = await waitForHealthy({ url: odoo.url, timeoutMs: 2_000 });
      expect(blind.ok).toBe(true);
    } finally {
      await odoo.stop();
    }
  });

  test("not ok on 500, with every attempt recorded", async ({ pg }) => {
    const odoo = await startOdooDouble({ env: { ...pgEnv(pg), ODOO_DOUBLE_FAULT: "500" } });
    try {
      await listening(odoo.url);
      const r = await waitForHealthy({ url: odoo.url, timeoutMs: 2_000, initialDelayMs: 100, maxDelayMs: 200 });
      expect(r.ok).toBe(false);
      expect(r.checks.every((c) => c.status === "failed")).toBe(true);
      // The first attempt has its full budget; the last one may be cut to the deadline ("no answer within N ms").
      expect(r.checks[0]?.detail).toMatch(/^\/web\/health answered 500 \(500 Internal Server Error/);
      expect(r.checks.every((c) => /answered 500|no answer within/.test(c.detail ?? ""))).toBe(true);
      expect(r.reason).toMatch(/answered 500/);
      expect(r.attempts).toBe(r.checks.length);
    } finally {
      await odoo.stop();
    }
  });

  test("db_server_status (Odoo 18): a 500 fail when PostgreSQL is down is not healthy", async ({ pg }) => {
    const odoo = await startOdooDouble({ env: { ...pgEnv(pg), ODOO_DOUBLE_VERSION: "18.0", ODOO_DOUBLE_FAULT: "db-down" } });
    try {
      await listening(odoo.url);
      const r = await waitForHealthy({ url: odoo.url, timeoutMs: 1_500, initialDelayMs: 100 });
      expect(r.ok).toBe(false);
      expect(r.checks[0]?.detail).toContain("/web/health answered 500");
      expect(r.reason).toContain("/web/health answered 500");
    } finally {
      await odoo.stop();
    }
  });

  test("recovers when a 503 goes away", async ({ pg }) => {
    const odoo = await startOdooDouble({ env: { ...pgEnv(pg), ODOO_DOUBLE_FAULT: "503" } });
    try {
      const events: HealthEvent[] = [];
      const waiting = waitForHealthy({
        url: odoo.url,
        timeoutMs: 30_000,
        initialDelayMs: 100,
        maxDelayMs: 300,
        onEvent: (e) => {
          events.push(e);
          if (e.type === "health:attempt" && e.detail.includes("answered 503")) odoo.setFault("none");
        },
      });
      const r = await waiting;
      expect(r.ok).toBe(true);
      expect(r.checks.some((c) => c.detail?.startsWith("/web/health answered 503"))).toBe(true);
    } finally {
      await odoo.stop();
    }
  });
});

describe("waitForHealthy without a server", () => {
  test("not ok when nothing listens: connection refused", async () => {
    const port = await freePort();
    const r = await waitForHealthy({ url: `http://127.0.0.1:${port}`, timeoutMs: 1_000, initialDelayMs: 50 });
    expect(r.ok).toBe(false);
    expect(r.attempts).toBeGreaterThan(1);
    // Under load the last attempt may be cut to the deadline before the refusal arrives.
    expect(r.checks[0]?.detail).toBe("connection refused");
    expect(r.checks.every((c) => c.detail === "connection refused" || /^no answer within \d+ ms$/.test(c.detail ?? ""))).toBe(true);
    expect(r.reason).toContain("connection refused");
  });

  let silent: net.Server;
  let sockets: net.Socket[] = [];
  beforeAll(async () => {
    // accepts connections and never answers
    silent = net.createServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    sockets = [];
    await new Promise((r) => silent.close(r));
  });

  test("never waits past its deadline, even when one attempt alone would take longer", async () => {
    const port = (silent.address() as net.AddressInfo).port;
    const r = await waitForHealthy({ url: `http://127.0.0.1:${port}`, timeoutMs: 800, attemptTimeoutMs: 60_000 });
    expect(r.ok).toBe(false);
    expect(r.checks[0]?.detail).toMatch(/^no answer within \d+ ms$/);
    // the 60 s attempt timeout was cut to the deadline: the whole wait ends within a small margin of 800 ms
    expect(r.durationMs).toBeLessThan(800 + 2_000);
  });

  test("abort stops the wait with AbortedError; a non-http URL is a usage error", async () => {
    const port = await freePort();
    const ac = new AbortController();
    const waiting = waitForHealthy({ url: `http://127.0.0.1:${port}`, timeoutMs: 60_000, signal: ac.signal, onEvent: () => ac.abort() });
    await expect(waiting).rejects.toBeInstanceOf(AbortedError);
    await expect(waitForHealthy({ url: "ftp://x" })).rejects.toMatchObject({ code: "INVALID_URL", category: "usage" });
  });
});

describe("waitForHealthy against the double on other transports", () => {
  test("the double serving HTTP inside a container of a node-only image", async ({ pg, docker }) => {
    const db = await odooDb(pg);
    const [node, script] = await odooDoubleArgv();
    const port = await freePort();
    const dir = path.dirname(script!);
    const container = await docker.startContainer(await docker.nodeImage(), {
      argv: [node!, script!, "--http-port", String(port), "--db_host", "127.0.0.1", "--db_port", String(pg.port), "--db_user", "postgres"],
      args: ["-v", `${dir}:${dir}:ro`],
    });
    try {
      const r = await waitForHealthy({ url: `http://127.0.0.1:${port}`, dbName: db.name, timeoutMs: 60_000, initialDelayMs: 100, maxDelayMs: 500 });
      expect(r.ok).toBe(true);
    } finally {
      await container.remove();
    }
  });

  test("the double serving HTTP over the loopback SSH runner; killing it makes the next wait fail", async ({ pg, sshd }) => {
    const db = await odooDb(pg);
    const [node, script] = await odooDoubleArgv();
    const port = await freePort();
    const runner = createSshRunner({ host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, knownHostsPath: sshd.knownHostsPath });
    try {
      const server = runner.spawn([node!, script!, "--http-port", String(port), "--db_host", "127.0.0.1", "--db_port", String(pg.port), "--db_user", "postgres"]);
      server.stdout.resume();
      const r = await waitForHealthy({ url: `http://127.0.0.1:${port}`, dbName: db.name, timeoutMs: 60_000, initialDelayMs: 100, maxDelayMs: 500 });
      expect(r.ok).toBe(true);
      server.kill();
      await server.result;
      const after = await waitForHealthy({ url: `http://127.0.0.1:${port}`, timeoutMs: 500 });
      expect(after.ok).toBe(false);
    } finally {
      await runner.close();
    }
  });
});

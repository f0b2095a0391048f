import os from "node:os";
import { describe } from "vitest";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { UsageError } from "../errors.js";
import { connect } from "./connection.js";
import { assertDistinctDatabases, compareServers, databaseIdentity, type ServerIdentity } from "./identity.js";

/** Every character percent-encoded, as a URL may legally spell a name. */
const encodeAll = (s: string) => [...Buffer.from(s)].map((b) => `%${b.toString(16).padStart(2, "0")}`).join("");

const hasIpv6Loopback = () => Object.values(os.networkInterfaces()).some((l) => l?.some((a) => a.internal && a.address === "::1"));

async function reachable(url: string): Promise<boolean> {
  const c = await connect(url, { connectTimeoutMs: 3000 }).catch(() => undefined);
  await c?.end();
  return c !== undefined;
}

/** Runs `fn` with PG* variables set (pg reads them for the parts a URL leaves out). */
async function withPgEnv<T>(env: Record<string, string>, fn: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("assertDistinctDatabases", () => {
  test("every spelling of one database is refused as the target of itself, in both directions", async ({ pg, db }) => {
    const role = `${db.name}_other_user`;
    await pg.query(`CREATE ROLE ${role} LOGIN`);
    try {
      const p = pg.port;
      const spellings: Record<string, string> = {
        "unix socket (?host=)": db.url,
        "127.0.0.1": `postgres://postgres@127.0.0.1:${p}/${db.name}`,
        localhost: `postgres://postgres@localhost:${p}/${db.name}`,
        "socket directory as the host": `postgres://postgres@${encodeURIComponent(pg.socketDir)}:${p}/${db.name}`,
        "?host=127.0.0.1 query": `postgres:///${db.name}?host=127.0.0.1&port=${p}&user=postgres`,
        "another user": `postgres://${role}@127.0.0.1:${p}/${db.name}`,
        "percent-encoded name": `postgres://postgres@127.0.0.1:${p}/${encodeAll(db.name)}`,
        "?dbname= query": `postgres://postgres@127.0.0.1:${p}/?dbname=${db.name}`,
      };
      const v6 = `postgres://postgres@[::1]:${p}/${db.name}`;
      if (await reachable(v6)) spellings["[::1]"] = v6;
      // The test cluster listens on [::1] wherever the host has it (testkit's startPostgres).
      if (hasIpv6Loopback()) expect(Object.keys(spellings)).toContain("[::1]");
      for (const [name, url] of Object.entries(spellings)) {
        for (const [sourceUrl, targetUrl, what] of [[db.url, url, `socket → ${name}`], [url, db.url, `${name} → socket`]] as const) {
          const err = await assertDistinctDatabases({ sourceUrl, targetUrl }).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(err, what).toBeInstanceOf(UsageError);
          expect((err as UsageError).code, what).toBe("SAME_DATABASE");
        }
      }
      // PG* defaults: a URL that names only the database.
      await withPgEnv({ PGHOST: pg.socketDir, PGPORT: String(p), PGUSER: "postgres" }, async () => {
        await expect(assertDistinctDatabases({ sourceUrl: `postgres:///${db.name}`, targetUrl: spellings["127.0.0.1"]! })).rejects.toMatchObject({ code: "SAME_DATABASE" });
        await expect(assertDistinctDatabases({ sourceUrl: spellings["127.0.0.1"]!, targetUrl: `postgres:///${db.name}` })).rejects.toMatchObject({ code: "SAME_DATABASE" });
      });
      // The message names what was compared, never a password.
      const err = (await assertDistinctDatabases({ sourceUrl: `postgres://postgres:hunter2@127.0.0.1:${p}/${db.name}`, targetUrl: db.url }).catch((e: unknown) => e)) as Error;
      expect(err.message).toContain(`both reach database ${db.name}`);
      expect(err.message).not.toContain("hunter2");
    } finally {
      await pg.query(`DROP ROLE ${role}`);
    }
  });

  test("another database of the same server, and a target that does not exist yet, are accepted", async ({ pg, db }) => {
    const other = `${db.name}_o`;
    await pg.createDatabase(other);
    try {
      const r = await assertDistinctDatabases({ sourceUrl: db.url, targetUrl: `postgres://postgres@127.0.0.1:${pg.port}/${other}` });
      expect(r).toMatchObject({ sameServer: true, evidence: "session", source: { database: db.name }, target: { database: other } });
      expect(r.target.oid).not.toBe(r.source.oid);
      const absent = await assertDistinctDatabases({ sourceUrl: db.url, targetUrl: pg.tcpUrl(`${db.name}_new`) });
      expect(absent.target.oid).toBeNull();
      // A name of another database is accepted even when the URL's own database is the source.
      expect((await assertDistinctDatabases({ sourceUrl: db.url, targetUrl: db.tcpUrl, targetDatabase: other })).target.database).toBe(other);
      await expect(assertDistinctDatabases({ sourceUrl: pg.tcpUrl(other), targetUrl: pg.url("postgres"), targetDatabase: other })).rejects.toThrow(/same database/);
    } finally {
      await pg.dropDatabase(other);
    }
  });

  test("databaseIdentity reports what the server says", async ({ pg, db }) => {
    const id = await databaseIdentity(`postgres://postgres@127.0.0.1:${pg.port}/?dbname=${db.name}`);
    expect(id).toMatchObject({ database: db.name, user: "postgres", server: { port: pg.port, inRecovery: false } });
    expect(id.server.systemIdentifier).toMatch(/^\d+$/);
    const [row] = await pg.query<{ oid: string }>("SELECT oid::int8 AS oid FROM pg_database WHERE datname = $1", [db.name]);
    expect(id.oid).toBe(Number(row!.oid));
  });
});

describe("compareServers, without the session proof", () => {
  const server = (o: Partial<ServerIdentity> = {}): ServerIdentity => ({ systemIdentifier: "7", startedAt: "100.5", inRecovery: false, port: 5432, version: 150000, ...o });

  test("the system identifier tells clusters apart; a standby of one holds the same data; a promoted clone does not", () => {
    expect(compareServers(server(), server({ systemIdentifier: "8" }), false)).toEqual({ sameServer: false, evidence: "system-identifier" });
    expect(compareServers(server(), server({ startedAt: "200", inRecovery: true }), false)).toEqual({ sameServer: true, evidence: "standby" });
    expect(compareServers(server({ inRecovery: true }), server({ startedAt: "200" }), false)).toEqual({ sameServer: true, evidence: "standby" });
    expect(compareServers(server(), server({ startedAt: "200" }), false)).toEqual({ sameServer: false, evidence: "promoted-clone" });
    expect(compareServers(server(), server(), false)).toEqual({ sameServer: true, evidence: "system-identifier" });
    expect(compareServers(server(), server({ systemIdentifier: "8" }), true)).toEqual({ sameServer: true, evidence: "session" });
  });

  test("a role denied pg_control_system() falls back on start time and port, and counts any standby as the same", () => {
    const noId = (o: Partial<ServerIdentity> = {}) => server({ systemIdentifier: null, ...o });
    expect(compareServers(noId(), noId(), false)).toEqual({ sameServer: true, evidence: "start-time" });
    expect(compareServers(noId(), server(), false)).toEqual({ sameServer: true, evidence: "start-time" });
    expect(compareServers(noId(), noId({ startedAt: "200" }), false)).toEqual({ sameServer: false, evidence: "start-time" });
    expect(compareServers(noId(), noId({ port: 5433 }), false)).toEqual({ sameServer: false, evidence: "start-time" });
    expect(compareServers(noId(), noId({ startedAt: "200", inRecovery: true }), false)).toEqual({ sameServer: true, evidence: "standby" });
  });
});

import { execFileSync } from "node:child_process";
import { describe } from "vitest";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { EnvironmentError, UsageError } from "../errors.js";
import { connect, libpqEnv, parseDbUrl, withClient, withDatabase } from "./connection.js";
import { getConfigParameter, setConfigParameter } from "./odoo-params.js";

describe("connection URLs", () => {
  test("parses TCP and unix-socket URLs", () => {
    expect(parseDbUrl("postgres://odoo:p%40ss@db.internal:5433/prod")).toEqual({
      database: "prod",
      host: "db.internal",
      port: "5433",
      user: "odoo",
      password: "p@ss",
    });
    expect(parseDbUrl("postgres:///odoo?host=/run/postgresql&port=5432&user=postgres")).toMatchObject({
      database: "odoo",
      host: "/run/postgresql",
      port: "5432",
      user: "postgres",
    });
  });

  test("rejects what is not a PostgreSQL URL, without echoing its password", () => {
    expect(() => parseDbUrl("mysql://u:topsecret@h/db")).toThrow(UsageError);
    expect(() => parseDbUrl("mysql://u:topsecret@h/db")).not.toThrow(/topsecret/);
    expect(() => parseDbUrl("not a url")).toThrow(/not a PostgreSQL URL/);
  });

  test("a password with unencoded reserved characters or spaces is parsed or refused, never echoed, whatever the scheme", () => {
    const refused: string[] = [];
    for (const scheme of ["postgres", "postgresql", "postgre", "http"]) {
      for (const pw of ["pa#ssW0rd", "pa/ssW0rd", "pa?ssW0rd", "p@ssW0rd", "pa ssW0rd", "12/ssW0rd", "pa%ssW0rd", "pa%zzW0rd"]) {
        const url = `${scheme}://odoo:${pw}@db.internal:5432/odoo`;
        let parsed: ReturnType<typeof parseDbUrl> | undefined;
        try {
          parsed = parseDbUrl(url);
        } catch (e) {
          expect(e, url).toBeInstanceOf(UsageError);
          const message = (e as Error).message;
          expect(message, url).toMatch(/^not a PostgreSQL URL: /);
          expect(message, url).not.toMatch(/ssW0rd|zzW0rd|pa[#/?% ]|12\//);
          // The rest stays, so the user can tell which URL is meant.
          expect(message, url).toContain(`${scheme}://odoo:***@db.internal:5432/odoo`);
          refused.push(`${scheme} ${pw}`);
        }
        // What parses, parses right (WHATWG takes the last '@'; a space is encoded).
        if (parsed) expect(parsed, url).toMatchObject({ user: "odoo", password: pw, host: "db.internal", database: "odoo" });
      }
    }
    expect(refused).toEqual(expect.arrayContaining(["postgres pa#ssW0rd", "postgres pa/ssW0rd", "postgres pa?ssW0rd", "postgres 12/ssW0rd", "postgres pa%zzW0rd", "http p@ssW0rd"]));
  });

  test("withDatabase swaps the database and keeps the rest", () => {
    expect(withDatabase("postgres://u:p@h:1/prod?sslmode=require", "postgres")).toBe("postgres://u:p@h:1/postgres?sslmode=require");
    expect(withDatabase("postgres:///prod?host=/tmp", "scratch")).toBe("postgres:///scratch?host=%2Ftmp");
  });

  test("libpqEnv carries the password in PGPASSWORD, never in argv", () => {
    expect(libpqEnv("postgres://u:p%20w@h:5/db?sslmode=verify-full")).toEqual({
      PGHOST: "h",
      PGPORT: "5",
      PGUSER: "u",
      PGPASSWORD: "p w",
      PGDATABASE: "db",
      PGSSLMODE: "verify-full",
    });
  });
});

describe("connect", () => {
  test("a missing database is a typed environment error naming it", async ({ pg }) => {
    const err = await connect(pg.url("no_such_db")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as EnvironmentError).code).toBe("DB_NOT_FOUND");
  });

  test("an unreachable server is DB_UNREACHABLE with the password redacted", async () => {
    const err = await connect("postgres://u:Secr3tPass@127.0.0.1:1/x", { connectTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect((err as EnvironmentError).code).toBe("DB_UNREACHABLE");
    expect((err as Error).message).toContain("postgres://u:***@127.0.0.1:1/x");
    expect((err as Error).message).not.toContain("Secr3tPass");
  });

  test("ir_config_parameter records round-trip on the real Odoo database", async ({ labDb }) => {
    await withClient(labDb.url, async (c) => {
      expect(await getConfigParameter(c, "odoo_deploy.deployed_revision")).toBeUndefined();
      await setConfigParameter(c, "odoo_deploy.deployed_revision", "abc123");
      await setConfigParameter(c, "odoo_deploy.deployed_revision", "def456");
      expect(await getConfigParameter(c, "odoo_deploy.deployed_revision")).toBe("def456");
      const n = await c.query("select 1 from ir_config_parameter where key = 'odoo_deploy.deployed_revision'");
      expect(n.rowCount).toBe(1);
    });
  });
});

describe("connect reaches the database that libpq tools reach", () => {
  test("?dbname=, reserved characters in a name, IPv6 brackets and ?user= read as pg_dump and psql read them", async ({ pg }) => {
    const name = `t_${Date.now().toString(36)}/a+b#c?d%e`;
    await pg.query(`CREATE DATABASE "${name}"`);
    try {
      const urls = [
        `postgres:///${encodeURIComponent(name)}?host=${encodeURIComponent(pg.socketDir)}&port=${pg.port}&user=postgres`,
        `postgres://postgres@127.0.0.1:${pg.port}/?dbname=${encodeURIComponent(name)}`,
        `postgres://127.0.0.1:${pg.port}/${encodeURIComponent(name)}?user=postgres`,
      ];
      for (const url of urls) {
        const viaNode = await withClient(url, async (c) => (await c.query<{ d: string }>("SELECT current_database() AS d")).rows[0]!.d);
        const viaPsql = execFileSync(pg.bin("psql"), ["-XAtc", "SELECT current_database()"], { env: { ...process.env, ...libpqEnv(url) } }).toString().trim();
        expect(viaNode, url).toBe(name);
        expect(viaPsql, url).toBe(name);
      }
      expect(parseDbUrl(`postgres://u@[::1]:${pg.port}/x`).host).toBe("::1");
      expect(() => parseDbUrl("postgres://h/%zz")).toThrow(UsageError);
    } finally {
      await pg.query(`DROP DATABASE "${name}"`);
    }
  });

  test("a read-only session refuses writes in every transaction", async ({ db }) => {
    await withClient(db.url, (c) => c.query("CREATE TABLE t (x int)"));
    const c = await connect(db.url, { readOnly: true });
    try {
      await expect(c.query("INSERT INTO t VALUES (1)")).rejects.toThrow(/read-only transaction/);
      await expect(c.query("BEGIN; INSERT INTO t VALUES (1); COMMIT")).rejects.toThrow(/read-only transaction/);
      await c.query("ROLLBACK");
    } finally {
      await c.end();
    }
  });
});

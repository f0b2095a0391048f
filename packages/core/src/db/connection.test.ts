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

import { test, expect } from "./vitest.js";

test("the throwaway cluster answers queries on its own socket", async ({ pg, db }) => {
  const rows = await pg.query<{ v: string; user: string }>("select version() as v, current_user as user", [], db.name);
  expect(rows[0]!.v).toMatch(/^PostgreSQL \d+/);
  expect(rows[0]!.user).toBe("postgres");
  // The cluster must not be a system one: its socket lives in our temp dir.
  expect(pg.socketDir).toMatch(/odoo-deploy-pg-/);
});

test("each test gets its own database, dropped afterwards", async ({ pg, db }) => {
  await pg.query("create table t (x int)", [], db.name);
  const dbs = await pg.query<{ datname: string }>("select datname from pg_database where datname = $1", [db.name]);
  expect(dbs).toHaveLength(1);
});

test("the real Odoo 16 database is restored as a template", async ({ pg, labDb }) => {
  const rows = await pg.query<{ n: string }>(
    "select count(*) as n from ir_module_module where state = 'installed'",
    [],
    labDb.name,
  );
  expect(Number(rows[0]!.n)).toBe(65);
});

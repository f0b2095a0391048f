import Pg from "pg";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { asideDatabaseName, fitDatabaseName, renameDatabase, swapDatabase } from "./swap.js";

describe("database names within 63 bytes", () => {
  test("the suffix survives; the base is cut on a character boundary", () => {
    const long = "é".repeat(40); // 80 bytes
    const name = fitDatabaseName(long, "_before_20261127T093512Z");
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(name.endsWith("_before_20261127T093512Z")).toBe(true);
    expect(name).not.toContain("\uFFFD");
    expect(asideDatabaseName("odoo_prod", "20261127T093512Z_3f9a1c")).toBe("odoo_prod_before_20261127T093512Z_3f9a1c");
    // Unique per run: two names made in the same second differ.
    const at = new Date("2026-11-27T09:35:12.345Z");
    expect(asideDatabaseName("odoo_prod", at)).toMatch(/^odoo_prod_before_20261127T093512Z_[0-9a-f]{6}$/);
    expect(asideDatabaseName("odoo_prod", at)).not.toBe(asideDatabaseName("odoo_prod", at));
  });
});

describe("swapDatabase", () => {
  test("renames the old aside (long name, connected session terminated) and the replacement into place", async ({ pg }) => {
    const base = `swap_${Date.now().toString(36)}_${"x".repeat(50)}`.slice(0, 63);
    const repl = `${base.slice(0, 50)}_new`;
    await pg.createDatabase(base);
    await pg.createDatabase(repl);
    await pg.query("CREATE TABLE marker (v text); INSERT INTO marker VALUES ('old')", [], base);
    await pg.query("CREATE TABLE marker (v text); INSERT INTO marker VALUES ('new')", [], repl);
    // An application holding a session on the old database.
    const held = new Pg.Client({ connectionString: pg.url(base) });
    held.on("error", () => {});
    await held.connect();
    let aside: string | undefined;
    try {
      const r = await swapDatabase({ dbUrl: pg.url(), database: base, replacement: repl });
      aside = r.asideName;
      expect(Buffer.byteLength(aside!)).toBeLessThanOrEqual(63);
      expect(aside).toMatch(/_before_\d{8}T\d{6}Z_[0-9a-f]{6}$/);
      expect(r.terminatedSessions).toBe(1);
      expect(await pg.query("SELECT v FROM marker", [], base)).toEqual([{ v: "new" }]);
      expect(await pg.query("SELECT v FROM marker", [], aside)).toEqual([{ v: "old" }]);
      // both accept connections again
      const allowed = await pg.query<{ datname: string; datallowconn: boolean }>("SELECT datname, datallowconn FROM pg_database WHERE datname = ANY($1) ORDER BY 1", [[base, aside]]);
      expect(allowed.every((d) => d.datallowconn)).toBe(true);
      expect(await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [repl])).toEqual([]);
    } finally {
      await held.end().catch(() => {});
      await pg.dropDatabase(base);
      if (aside) await pg.dropDatabase(aside);
      await pg.dropDatabase(repl);
    }
  });

  test("a missing replacement is refused and nothing is renamed; renameDatabase refuses names over 63 bytes", async ({ db, pg }) => {
    await expect(swapDatabase({ dbUrl: db.url, database: db.name, replacement: `${db.name}_missing` })).rejects.toMatchObject({ code: "DB_NOT_FOUND" });
    expect(await pg.query("SELECT datallowconn FROM pg_database WHERE datname = $1", [db.name])).toEqual([{ datallowconn: true }]);
    await expect(renameDatabase({ dbUrl: db.url, from: db.name, to: "x".repeat(64) })).rejects.toThrow(/longer than 63 bytes/);
  });
});

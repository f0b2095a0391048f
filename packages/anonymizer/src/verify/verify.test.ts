import { test, expect } from "@odoo-deploy/testkit/vitest";
import { anonymizeDatabase } from "../engine/database.js";
import { loadRules } from "../rules/load.js";
import { verifyAnonymization } from "./verify.js";

test("verify finds a planted leak and a canary, with table, column and count", async ({ pg, db }) => {
  await pg.query(
    `CREATE TABLE partner (id serial PRIMARY KEY, name text, email text, note text);
     INSERT INTO partner (name, email, note) SELECT 'Person ' || g, 'p' || g || '@corp.example', 'kept text ' || g FROM generate_series(1, 50) g;`,
    [], db.name,
  );
  const rules = loadRules({ text: "version: 1\ntables:\n  partner: { columns: { name: name, email: email, note: keep } }\n" });
  const target = `${db.name}_v`;
  try {
    const r = await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules, secret: "s" });
    expect(r.ok).toBe(true);
    const clean = await verifyAnonymization({ sourceUrl: db.url, targetUrl: pg.url(target), rules, canaries: ["SECRET-CANARY-42"] });
    expect(clean.leaks).toEqual([]);
    expect(clean.ok).toBe(true);
    expect(clean.scanned.columns).toBe(2);
    // Plant an original e-mail in two rows and a canary in a kept column.
    await pg.query("UPDATE partner SET email = 'p7@corp.example' WHERE id IN (3, 4); UPDATE partner SET note = 'x SECRET-CANARY-42 y' WHERE id = 9", [], target);
    const dirty = await verifyAnonymization({ sourceUrl: db.url, targetUrl: pg.url(target), rules, canaries: ["nowhere-else", "SECRET-CANARY-42"] });
    expect(dirty.ok).toBe(false);
    expect(dirty.leaks).toEqual([
      { table: "partner", column: "email", count: 2, kind: "original" },
      { table: "partner", column: "note", count: 1, kind: "canary", canary: 1 },
    ]);
    expect(JSON.stringify(dirty)).not.toContain("p7@corp.example");
    // Sampled (the first 10 rows of each table): the planted e-mail (an original of row 7) is still found, the
    // table is named as sampled; a value only in rows past the sample is not searched, and the report says so.
    const quick = await verifyAnonymization({ sourceUrl: db.url, targetUrl: pg.url(target), rules, sampleRows: 10 });
    expect(quick.leaks).toEqual([{ table: "partner", column: "email", count: 2, kind: "original" }]);
    expect(quick.scanned).toMatchObject({ columns: 2, values: 20, sampledColumns: ["partner (first 10 rows)"] });
    await pg.query("UPDATE partner SET email = 'p40@corp.example' WHERE id IN (3, 4)", [], target);
    expect((await verifyAnonymization({ sourceUrl: db.url, targetUrl: pg.url(target), rules, sampleRows: 10 })).leaks).toEqual([]);
    expect((await verifyAnonymization({ sourceUrl: db.url, targetUrl: pg.url(target), rules })).leaks).toEqual([{ table: "partner", column: "email", count: 2, kind: "original" }]);
  } finally {
    await pg.dropDatabase(target);
  }
});

test("short values from small spaces (zip codes) are not reported as leaks by chance collisions", async ({ pg, db }) => {
  // 3,000 distinct 5-digit zips: every fake zip has a ~3% chance to equal some *other* row's original.
  await pg.query(
    `CREATE TABLE partner (id serial PRIMARY KEY, zip text, email text);
     INSERT INTO partner (zip, email) SELECT lpad((g * 31)::text, 5, '0'), 'p' || g || '@corp.example' FROM generate_series(1, 3000) g;`,
    [], db.name,
  );
  const rules = loadRules({ text: "version: 1\ntables:\n  partner: { columns: { zip: zip, email: email } }\n" });
  const target = `${db.name}_z`;
  try {
    expect((await anonymizeDatabase({ sourceUrl: db.url, targetUrl: pg.url(target), rules, secret: "s" })).ok).toBe(true);
    const copied = await pg.query<{ n: string }>("SELECT count(*) AS n FROM partner", [], target);
    expect(Number(copied[0]!.n)).toBe(3000);
    const r = await verifyAnonymization({ sourceUrl: db.url, targetUrl: pg.url(target), rules });
    expect(r.leaks).toEqual([]);
    expect(r.checks[0]!.detail).toContain("values of 6+ characters");
    // An e-mail kept by mistake is still found.
    await pg.query("UPDATE partner SET email = 'p12@corp.example' WHERE id = 5", [], target);
    const dirty = await verifyAnonymization({ sourceUrl: db.url, targetUrl: pg.url(target), rules });
    expect(dirty.leaks).toEqual([{ table: "partner", column: "email", count: 1, kind: "original" }]);
  } finally {
    await pg.dropDatabase(target);
  }
});

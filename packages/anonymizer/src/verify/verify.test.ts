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
  } finally {
    await pg.dropDatabase(target);
  }
});

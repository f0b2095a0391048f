import { test, expect } from "@odoo-deploy/testkit/vitest";
import { loadRules } from "../rules/load.js";
import { checkRules } from "./check.js";

const schema = `
  CREATE TABLE customer (id serial PRIMARY KEY, full_name text, email_address varchar, notes text, score int, born date, active boolean);
  CREATE TABLE "Order" (id serial PRIMARY KEY, customer_id int REFERENCES customer(id), "Ref" text, total numeric);
  CREATE TABLE api_key (id serial PRIMARY KEY, customer_id int NOT NULL REFERENCES customer(id), key text);
`;

test("check refuses uncovered text columns and suggests a rule for each", async ({ pg, db }) => {
  await pg.query(schema, [], db.name);
  const rules = loadRules({ text: "version: 1\ntables:\n  customer: { columns: { full_name: name } }\n" });
  const r = await checkRules({ sourceUrl: db.url, rules });
  expect(r.ok).toBe(false);
  expect(r.checks.find((c) => c.name === "coverage")?.status).toBe("failed");
  const uncovered = Object.fromEntries(r.uncovered.map((u) => [`${u.table}.${u.column}`, u.suggestion]));
  // Integers, numerics, dates and booleans are kept by type; every text column must be classified.
  expect(Object.keys(uncovered).sort()).toEqual(["Order.Ref", "api_key.key", "customer.email_address", "customer.notes"]);
  expect(uncovered["customer.email_address"]).toBe("email");
  expect(uncovered["api_key.key"]).toBe("null");
  expect(uncovered["customer.notes"]).toBe("html");
  expect(r.suggestedRules).toContain("  Order:\n    columns:\n      Ref: keep");
});

test("check refuses rules that would orphan rows, and accepts them with cascade", async ({ pg, db }) => {
  await pg.query(schema, [], db.name);
  const base = "version: 1\ntypes: { text: keep, character varying: keep }\ntables:\n";
  const refused = await checkRules({ sourceUrl: db.url, rules: loadRules({ text: `${base}  customer: { where: "active" }\n` }) });
  expect(refused.ok).toBe(false);
  expect(refused.orphans.join("\n")).toMatch(/Order.*customer.*cascade: true/s);
  expect(refused.orphans.join("\n")).toMatch(/api_key/);
  const ok = await checkRules({ sourceUrl: db.url, rules: loadRules({ text: `${base}  customer: { where: "active", cascade: true }\n` }) });
  expect(ok.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: "foreign-keys", status: "ok" })]));
  expect(ok.ok).toBe(true);
});

test("check refuses rules that cannot fit the schema", async ({ pg, db }) => {
  await pg.query("CREATE TABLE t (id int PRIMARY KEY, a text NOT NULL, b text)", [], db.name);
  const rules = loadRules({ text: "version: 1\ntables:\n  t: { columns: { a: null, b: { strategy: same_as, column: nope } } }\n  typo_table: { action: skip }\n" });
  const r = await checkRules({ sourceUrl: db.url, rules });
  expect(r.ok).toBe(false);
  expect(r.invalid.join("\n")).toMatch(/t\.a: strategy null on a NOT NULL column/);
  expect(r.invalid.join("\n")).toMatch(/refers to column nope/);
  expect(r.unmatched).toEqual(["typo_table"]);
});

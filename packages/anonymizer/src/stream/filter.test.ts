import { test, expect } from "@odoo-deploy/testkit/vitest";
import { run } from "@odoo-deploy/testkit";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { loadRules } from "../rules/load.js";
import { anonymizeStream } from "./filter.js";

const rules = loadRules({ text: "version: 1\ntables:\n  partner: { columns: { name: name, email: email, note: keep } }\n  secrets: { action: truncate }\n" });

async function filter(sql: string | Buffer, r = rules, maxTextBytes?: number): Promise<string> {
  const chunks: Buffer[] = [];
  const out = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
  const input = Buffer.from(sql);
  // Feed in small pieces so lines and rows span chunks.
  await anonymizeStream({ input: Readable.from(Array.from({ length: Math.ceil(input.length / 5) }, (_, i) => input.subarray(i * 5, i * 5 + 5))), output: out, rules: r, secret: "s", ...(maxTextBytes ? { maxTextBytes } : {}) });
  return Buffer.concat(chunks).toString();
}

test("stream filter anonymizes a real pg_dump plain dump that psql restores, passing \\restrict and DDL through", async ({ pg, db }) => {
  await pg.query(
    `CREATE TABLE partner (id int PRIMARY KEY, name text, email varchar, note text);
     CREATE TABLE secrets (id int, token text);
     INSERT INTO partner VALUES (1, 'Jane Doe', 'jane@corp.example', 'tab\there'), (2, 'John Roe', 'john@corp.example', NULL);
     INSERT INTO secrets VALUES (1, 'tok-123');`,
    [], db.name,
  );
  const dump = await run(pg.bin("pg_dump"), ["--no-owner", "-d", db.url]);
  // pg_dump 15.14+ wraps its output in \restrict KEY … \unrestrict KEY.
  const restrict = /^\\restrict \S+$/m.exec(dump)?.[0];
  expect(restrict).toBeDefined();
  const withRestrict = dump;
  const out = await filter(withRestrict);
  expect(out).toContain(`${restrict!}\n`);
  expect(out).toContain(`${restrict!.replace("restrict", "unrestrict")}\n`);
  expect(out).toContain("CREATE TABLE public.partner");
  expect(out).not.toMatch(/Jane|John|corp\.example|tok-123/);
  expect(out).toContain("tab\\there"); // kept column, byte for byte
  // Deterministic, and psql restores it; lines handled on bytes (as huge ones are) come out the same.
  expect(await filter(withRestrict)).toBe(out);
  expect(await filter(withRestrict, rules, 40)).toBe(out);
  const target = `${db.name}_f`;
  await pg.createDatabase(target);
  try {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "anon-stream-")), "dump.sql");
    // psql 15.18 knows \restrict; older clients would reject it, which is pg_dump's doing, not ours.
    writeFileSync(file, out);
    await run(pg.bin("psql"), ["-v", "ON_ERROR_STOP=1", "-q", "-d", pg.url(target), "-f", file]);
    const rows = await pg.query<{ id: number; name: string; email: string; note: string | null }>("SELECT * FROM partner ORDER BY id", [], target);
    expect(rows).toHaveLength(2);
    expect(rows[1]!.note).toBeNull();
    expect(rows[0]!.note).toBe("tab\there");
    expect(await pg.query("SELECT count(*)::int AS n FROM secrets", [], target)).toEqual([{ n: 0 }]);
  } finally {
    await pg.dropDatabase(target);
  }
});

test("stream filter refuses a table with an uncovered column before writing its rows", async () => {
  const sql = "CREATE TABLE public.t (\n    id integer NOT NULL,\n    secret text\n);\nCOPY public.t (id, secret) FROM stdin;\n1\tleak\n\\.\n";
  await expect(filter(sql)).rejects.toThrow(/t not covered.*secret/s);
});

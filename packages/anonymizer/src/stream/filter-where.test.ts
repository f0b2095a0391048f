import { test, expect } from "@odoo-deploy/testkit/vitest";
import { run } from "@odoo-deploy/testkit";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable, Writable } from "node:stream";
import { loadRules } from "../rules/load.js";
import { anonymizeStream, type AnonymizeStreamReport } from "./filter.js";

// A table's `where` on a stream (applied by a DELETE after its COPY block), and inherited columns' types.

async function filter(sql: string, rulesYaml: string): Promise<{ out: string; report: AnonymizeStreamReport }> {
  const chunks: Buffer[] = [];
  const output = new Writable({ write: (c: Buffer, _e, cb) => (chunks.push(c), cb()) });
  const input = Buffer.from(sql);
  const pieces = Array.from({ length: Math.ceil(input.length / 7) }, (_, i) => input.subarray(i * 7, i * 7 + 7));
  const report = await anonymizeStream({ input: Readable.from(pieces), output, rules: loadRules({ text: rulesYaml }), secret: "s" });
  return { out: Buffer.concat(chunks).toString(), report };
}

const PARAMS = "version: 1\ntables:\n  param:\n    where: \"key NOT IN ('keep.out')\"\n    columns: { key: keep, value: hash }\n";

test("a where on a stream: every row anonymized, then deleted right after the COPY block when the where is not true; psql restores the engine's rows", async ({ pg, db }) => {
  await pg.query(
    `CREATE TABLE param (id int PRIMARY KEY, key varchar NOT NULL, value text);
     INSERT INTO param VALUES (1, 'a', 'secret-a'), (2, 'keep.out', 'secret-b'), (3, 'c', NULL);`,
    [], db.name,
  );
  const dump = await run(pg.bin("pg_dump"), ["--no-owner", "-d", db.url], { stripFinalNewline: false });
  const { out, report } = await filter(dump, PARAMS);
  expect(out).not.toMatch(/secret-a|secret-b/);
  expect(out).toMatch(/\n\\\.\nDELETE FROM ONLY "public"\."param" WHERE NOT COALESCE\(\(\nkey NOT IN \('keep\.out'\)\n\), false\);\n/);
  expect(report.tables).toEqual([{ table: "param", action: "copy", rows: 3, bytes: expect.any(Number), where: "key NOT IN ('keep.out')" }]);
  const target = `${db.name}_w`;
  await pg.createDatabase(target);
  try {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "anon-where-")), "dump.sql");
    writeFileSync(file, out);
    await run(pg.bin("psql"), ["-X", "-v", "ON_ERROR_STOP=1", "-q", "-d", pg.url(target), "-f", file]);
    const rows = await pg.query<{ id: number; key: string; value: string | null }>("SELECT * FROM param ORDER BY id", [], target);
    // The NULL-valued row stays (the where is true for it); a where that is NULL drops the row, as the engine's WHERE does.
    expect(rows.map((r) => [r.id, r.key])).toEqual([[1, "a"], [3, "c"]]);
    expect(rows[0]!.value).not.toBe("secret-a");
    expect(rows[1]!.value).toBeNull();
  } finally {
    await pg.dropDatabase(target);
  }
});

test("a where that reads a transformed column, or is not one expression, is refused on a stream before any row passes", async () => {
  const sql = "CREATE TABLE public.param (\n    key character varying NOT NULL,\n    value text\n);\nCOPY public.param (key, value) FROM stdin;\na\tsecret-a\n\\.\n";
  const reads = "version: 1\ntables:\n  param:\n    where: \"length(VALUE) > 3\"\n    columns: { key: keep, value: hash }\n";
  await expect(filter(sql, reads)).rejects.toMatchObject({ code: "WHERE_READS_TRANSFORMED", message: expect.stringMatching(/param: where .* reads value, which the rules transform/) });
  const quoted = 'version: 1\ntables:\n  param:\n    where: \'"value" IS NOT NULL\'\n    columns: { key: keep, value: hash }\n';
  await expect(filter(sql, quoted)).rejects.toMatchObject({ code: "WHERE_READS_TRANSFORMED" });
  const two = "version: 1\ntables:\n  param:\n    where: \"true; DROP TABLE victim\"\n    columns: { key: keep, value: hash }\n";
  await expect(filter(sql, two)).rejects.toMatchObject({ code: "WHERE_REFUSED" });
  // Reading a kept column is fine.
  const { out } = await filter(sql, PARAMS);
  expect(out).toContain("DELETE FROM ONLY");
  expect(out).not.toContain("secret-a");
});

test("an inherited table's coverage uses its parents' column types (INHERITS), and stays fail-closed for their text columns", async () => {
  const ddl = (parentExtra: string) =>
    "CREATE TABLE public.act (\n    id integer NOT NULL,\n    name character varying NOT NULL" + parentExtra + "\n);\n" +
    "CREATE TABLE public.act_client (\n    tag character varying NOT NULL\n)\nINHERITS (public.act);\n";
  const rules = "version: 1\ntables:\n  act*: { columns: { name: keep, tag: keep } }\n";
  // x_count is an integer of the parent: kept by the type default, though act_client's CREATE TABLE does not list it.
  const ok = ddl(",\n    x_count integer") + "COPY public.act_client (id, name, x_count, tag) FROM stdin;\n1\tClient\t3\tt\n\\.\n";
  const { out } = await filter(ok, rules);
  expect(out).toContain("1\tClient\t3\tt\n");
  const leak = ddl(",\n    x_note text") + "COPY public.act_client (id, name, x_note, tag) FROM stdin;\n1\tClient\tprivate note\tt\n\\.\n";
  await expect(filter(leak, rules)).rejects.toThrow(/act_client not covered by any rule: x_note/);
  // Without the INHERITS line, the integer's type is unknown, and unknown is not kept (fail-closed).
  const orphan = "CREATE TABLE public.act_client (\n    tag character varying NOT NULL\n);\nCOPY public.act_client (id, tag) FROM stdin;\n1\tt\n\\.\n";
  await expect(filter(orphan, rules)).rejects.toThrow(/act_client not covered by any rule: id/);
});

import { test, expect } from "@odoo-deploy/testkit/vitest";
import { run, type PgCluster } from "@odoo-deploy/testkit";
import { backupDatabase, openZip, readZipManifest, ZIP_DUMP } from "@odoo-deploy/core";
import { mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { anonymizeDump } from "./anonymize-dump.js";

// `odoo-deploy anonymize --input prod.dump --output staging.dump`: a backup file anonymized into another.

const SECRET = "anonymize-dump-secret";

const tempDir = (prefix: string) => mkdtempSync(path.join(os.tmpdir(), prefix));

async function partnerEmails(pg: PgCluster, db: string): Promise<string[]> {
  return (await pg.query<{ e: string }>("SELECT DISTINCT email AS e FROM res_partner WHERE coalesce(email, '') <> ''", [], db)).map((r) => r.e);
}

async function zipText(file: string, name: string): Promise<string> {
  const zip = await openZip(file);
  try {
    const chunks: Buffer[] = [];
    for await (const c of (await zip.open(zip.find(name)!)) as AsyncIterable<Buffer>) chunks.push(c);
    return Buffer.concat(chunks).toString("utf8");
  } finally {
    zip.close();
  }
}

test("custom in, custom out: restored through the filter on the work server, pg_dump -Fc of it, the temporary database dropped", { timeout: 300_000 }, async ({ pg, labDb }) => {
  const dir = tempDir("ad-custom-");
  const input = path.join(dir, "prod.dump");
  await run(pg.bin("pg_dump"), ["-Fc", "--no-owner", "-f", input, "-d", labDb.url]);
  const output = path.join(dir, "staging.dump");
  const r = await anonymizeDump({ input, output, workUrl: pg.url("postgres"), preset: "odoo", secret: SECRET });
  expect(r.ok, JSON.stringify(r.failure)).toBe(true);
  expect(r).toMatchObject({ output, format: "custom", input: { kind: "custom" } });
  expect(r.steps.map((s) => s.name)).toEqual(["leftovers", "target", "restore", "dump", "publish"]);
  expect(r.rows).toBeGreaterThan(30_000);
  expect(readdirSync(dir).sort()).toEqual(["prod.dump", "staging.dump"]);
  expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE 'odoo\\_deploy\\_anondump\\_%'", [], "postgres")).toEqual([]);
  // A plain pg_restore of the output: the partners are there, none of their e-mails.
  const check = `${labDb.name}_out`;
  await pg.createDatabase(check);
  try {
    await run(pg.bin("pg_restore"), ["--no-owner", "--exit-on-error", "-d", pg.url(check), output]);
    const emails = await partnerEmails(pg, labDb.name);
    expect(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], check)).toEqual(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], labDb.name));
    expect(await pg.query("SELECT email FROM res_partner WHERE email = ANY($1::text[])", [emails], check)).toEqual([]);
  } finally {
    await pg.dropDatabase(check);
  }
  // Nothing is overwritten; a custom output needs a work server.
  await expect(anonymizeDump({ input, output, workUrl: pg.url("postgres"), preset: "odoo", secret: SECRET })).rejects.toMatchObject({ code: "OUTPUT_EXISTS" });
  await expect(anonymizeDump({ input, output: path.join(dir, "x.dump"), preset: "odoo", secret: SECRET })).rejects.toMatchObject({ code: "NO_WORK_URL" });
});

test("zip in, zip out: dump.sql through the filter and Odoo's manifest (without odoo-deploy's part), no filestore; psql restores it", { timeout: 300_000 }, async ({ pg, labDb }) => {
  const dir = tempDir("ad-zip-");
  const b = await backupDatabase({ dbUrl: labDb.url, directory: dir, format: "zip", verify: false, name: "prod" });
  expect(b.ok).toBe(true);
  const output = path.join(dir, "staging.zip");
  const r = await anonymizeDump({ input: b.path!, output, preset: "odoo", secret: SECRET });
  expect(r.ok, JSON.stringify(r.failure)).toBe(true);
  expect(r).toMatchObject({ format: "zip", input: { kind: "odoo-deploy", format: "zip" } });
  const zip = await openZip(output);
  const names = zip.entries.map((e) => e.fileName);
  const manifest = await readZipManifest(zip);
  zip.close();
  expect(names).toEqual([ZIP_DUMP, "manifest.json"]);
  expect(manifest).toMatchObject({ odoo_dump: "1", db_name: labDb.name });
  expect(manifest).not.toHaveProperty("odoo_deploy");
  const sql = await zipText(output, ZIP_DUMP);
  const emails = await partnerEmails(pg, labDb.name);
  const data = sql.replace(/^COPY public\.mail_template [^\n]*\n[\s\S]*?^\\\.$/m, ""); // demo templates quote two addresses (see filter-lab.test.ts)
  expect(emails.filter((e) => data.includes(e))).toEqual([]);
  const check = `${labDb.name}_zip`;
  await pg.createDatabase(check);
  try {
    const file = path.join(dir, "dump.sql");
    writeFileSync(file, sql);
    await run(pg.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg.url(check), "-f", file]);
    expect(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], check)).toEqual(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], labDb.name));
  } finally {
    await pg.dropDatabase(check);
  }
});

test("a column no rule covers: ok false, no output and no partial file left", { timeout: 300_000 }, async ({ pg, labDb }) => {
  await pg.query("ALTER TABLE res_partner ADD COLUMN x_private_note text; UPDATE res_partner SET x_private_note = 'diary'", [], labDb.name);
  const dir = tempDir("ad-uncovered-");
  const input = path.join(dir, "prod.dump");
  await run(pg.bin("pg_dump"), ["-Fc", "--no-owner", "-f", input, "-d", labDb.url]);
  for (const format of ["zip", "custom"] as const) {
    const output = path.join(dir, `staging.${format}`);
    const r = await anonymizeDump({ input, output, format, workUrl: pg.url("postgres"), preset: "odoo", secret: SECRET });
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ code: "UNCOVERED_COLUMNS" });
    expect(r.output).toBeUndefined();
    expect(readdirSync(dir)).toEqual(["prod.dump"]);
  }
  expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE 'odoo\\_deploy\\_anondump\\_%'", [], "postgres")).toEqual([]);
});

import { test, expect } from "@odoo-deploy/testkit/vitest";
import { run, type PgCluster } from "@odoo-deploy/testkit";
import { backupDatabase, UsageError } from "@odoo-deploy/core";
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadRules } from "../rules/load.js";
import { tablePlan } from "../rules/match.js";
import { resolveBackupSource, restoreAnonymizedBackup } from "./backup-source.js";

// A backup restored into an empty database THROUGH the stream filter: the real Odoo 16 lab database, as a bare
// custom-format dump, as an Odoo zip and as odoo-deploy backup directories, checked in the database it fills.

const SECRET = "backup-source-secret";
const ENTERPRISE = "M2604-enterprise-code-of-prod";

function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Exact row counts of every table of the public schema (ONLY: an inherited table's rows are counted once). */
async function rowCounts(pg: PgCluster, db: string): Promise<Record<string, number>> {
  // One round trip: query_to_xml runs each table's count on the server.
  const rows = await pg.query<{ t: string; n: number }>(
    `SELECT relname AS t, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM ONLY public.%I', relname), false, true, '')))[1]::text::int AS n
       FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r' ORDER BY 1`,
    [],
    db,
  );
  return Object.fromEntries(rows.map((r) => [r.t, r.n]));
}

/** The lab with a row the preset's where drops (Odoo's enterprise code is not copied to staging). */
async function prepareLab(pg: PgCluster, db: string): Promise<void> {
  await pg.query(`INSERT INTO ir_config_parameter (key, value, create_date, write_date) VALUES ('database.enterprise_code', '${ENTERPRISE}', now(), now())`, [], db);
}

/** What the source's partners must not show in the copy: e-mails, phones, streets. */
async function partnerPii(pg: PgCluster, db: string): Promise<string[]> {
  const rows = await pg.query<{ v: string }>(
    "SELECT DISTINCT v FROM res_partner, LATERAL unnest(ARRAY[email, phone, mobile, street]) v WHERE coalesce(v, '') <> ''",
    [],
    db,
  );
  return rows.map((r) => r.v);
}

/** Checks the filled target against the source: no partner PII, the same rows per table but the where's. */
async function expectAnonymizedCopy(pg: PgCluster, source: string, target: string): Promise<void> {
  const pii = await partnerPii(pg, source);
  expect(pii.length).toBeGreaterThan(30);
  const leaked = await pg.query<{ v: string }>(
    "SELECT DISTINCT v FROM res_partner, LATERAL unnest(ARRAY[email, phone, mobile, street]) v WHERE v = ANY($1::text[])",
    [pii],
    target,
  );
  expect(leaked).toEqual([]);
  expect((await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM res_partner WHERE email IS NOT NULL", [], target))[0]!.n).toBeGreaterThan(30);
  const expected = await rowCounts(pg, source);
  // The preset truncates some tables (bus_bus, res_users_log…) and its where drops the enterprise code.
  const preset = loadRules({ preset: "odoo" });
  for (const t of Object.keys(expected)) if (tablePlan(preset, t).action !== "copy") expected[t] = 0;
  expect(expected.bus_bus).toBe(0);
  expected.ir_config_parameter! -= 1;
  expect(await rowCounts(pg, target)).toEqual(expected);
  expect(await pg.query("SELECT key FROM ir_config_parameter WHERE key = 'database.enterprise_code' OR value = $1", [ENTERPRISE], target)).toEqual([]);
}

async function withTarget<T>(pg: PgCluster, base: string, fn: (name: string) => Promise<T>): Promise<T> {
  const name = `${base}_anon`;
  await pg.createDatabase(name);
  try {
    return await fn(name);
  } finally {
    await pg.dropDatabase(name);
  }
}

/** The lab filestore unpacked under a temp directory, as `<dir>/<db>`. */
function labFilestore(shared: string): { dir: string; files: string[] } {
  const root = tempDir("bs-fs-");
  execTar(["-xzf", path.join(shared, "odoo16-lab/filestore-odoo_prod.tar.gz"), "-C", root]);
  const dir = path.join(root, "odoo_prod");
  return { dir, files: filesUnder(dir) };
}

function execTar(args: string[]): void {
  execFileSync("tar", args);
}

test("a custom-format dump of the real Odoo 16 lab restores through the filter: no partner PII, every table's rows but the where's", { timeout: 300_000 }, async ({ pg, labDb }) => {
  await prepareLab(pg, labDb.name);
  const file = path.join(tempDir("bs-custom-"), "prod.dump");
  await run(pg.bin("pg_dump"), ["-Fc", "--no-owner", "-f", file, "-d", labDb.url]);
  const resolved = await resolveBackupSource(file);
  expect(resolved).toEqual({ path: file, kind: "custom", format: "custom", dumpFile: file, verified: false });
  await withTarget(pg, labDb.name, async (target) => {
    const events: string[] = [];
    const r = await restoreAnonymizedBackup({ backup: file, targetUrl: pg.url(target), preset: "odoo", secret: SECRET, onEvent: (e) => events.push(e.type) });
    expect(r.ok, JSON.stringify(r.failure)).toBe(true);
    expect(r.steps.map((s) => [s.name, s.status])).toEqual([["target", "ok"], ["restore", "ok"]]);
    expect(r.stream!.tables.length).toBe(422);
    expect(r.rows).toBe(r.stream!.rows);
    expect(r.rows).toBeGreaterThan(30_000);
    expect(r.bytes).toBeGreaterThan(1_000_000);
    expect(events).toContain("refresh:step");
    await expectAnonymizedCopy(pg, labDb.name, target);
    // Filled: a second restore into it is refused before anything runs.
    await expect(restoreAnonymizedBackup({ backup: resolved, targetUrl: pg.url(target), preset: "odoo", secret: SECRET })).rejects.toMatchObject({ code: "TARGET_NOT_EMPTY" });
  });
});

test("an Odoo zip (dump.sql + filestore/) restores through the filter, its filestore extracted for the policies", { timeout: 300_000 }, async ({ pg, labDb, shared }) => {
  await prepareLab(pg, labDb.name);
  const fs = labFilestore(shared);
  const out = tempDir("bs-zip-");
  const b = await backupDatabase({ dbUrl: labDb.url, directory: out, format: "zip", filestoreDir: fs.dir, verify: false });
  expect(b.ok).toBe(true);
  const zipName = readdirSync(b.path!).find((n) => n.endsWith(".zip"))!;
  // The bare zip, as Odoo's database manager hands it out, moved out of odoo-deploy's directory.
  const zip = path.join(out, "prod.zip");
  renameSync(path.join(b.path!, zipName), zip);
  rmSync(b.path!, { recursive: true });
  const resolved = await resolveBackupSource(zip);
  expect(resolved).toMatchObject({ kind: "zip", format: "zip", dumpFile: zip, filestore: { kind: "zip", file: zip }, database: labDb.name, verified: false });
  const filestoreDir = path.join(out, "source-filestore");
  await withTarget(pg, labDb.name, async (target) => {
    const r = await restoreAnonymizedBackup({ backup: resolved, targetUrl: pg.url(target), preset: "odoo", secret: SECRET, filestoreDir });
    expect(r.ok, JSON.stringify(r.failure)).toBe(true);
    expect(r.steps.map((s) => s.name)).toEqual(["target", "restore", "filestore"]);
    await expectAnonymizedCopy(pg, labDb.name, target);
  });
  expect(filesUnder(filestoreDir).sort()).toEqual([...fs.files].sort());
  const one = fs.files[0]!;
  expect(readFileSync(path.join(filestoreDir, one)).equals(readFileSync(path.join(fs.dir, one)))).toBe(true);
});

/** Files under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

test("a directory of backups gives its newest verified one (with its filestore tar); none verified is refused naming the directory", { timeout: 300_000 }, async ({ pg, labDb, shared }) => {
  const fs = labFilestore(shared);
  const dir = tempDir("bs-dir-");
  const older = await backupDatabase({ dbUrl: labDb.url, directory: dir, filestoreDir: fs.dir, verify: "basic", name: "prod_1_verified" });
  expect(older.ok).toBe(true);
  await new Promise((r) => setTimeout(r, 1100));
  const newer = await backupDatabase({ dbUrl: labDb.url, directory: dir, verify: false, name: "prod_2_unverified" });
  expect(newer.ok).toBe(true);
  const chosen = await resolveBackupSource(dir);
  expect(chosen).toMatchObject({
    path: older.path,
    kind: "odoo-deploy",
    format: "custom",
    dumpFile: path.join(older.path!, "database.dump"),
    filestore: { kind: "tar", file: path.join(older.path!, "filestore.tar") },
    database: labDb.name,
    verified: true,
  });
  expect(await resolveBackupSource(newer.path!)).toMatchObject({ kind: "odoo-deploy", verified: false });
  const filestoreDir = path.join(tempDir("bs-dir-fs-"), "fs");
  await withTarget(pg, labDb.name, async (target) => {
    const r = await restoreAnonymizedBackup({ backup: dir, targetUrl: pg.url(target), preset: "odoo", secret: SECRET, filestoreDir });
    expect(r.ok, JSON.stringify(r.failure)).toBe(true);
    expect(r.backup.path).toBe(older.path);
    expect(r.filestore).toMatchObject({ dir: filestoreDir, files: fs.files.length });
    expect(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], target)).toEqual(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], labDb.name));
  });
  expect(filesUnder(filestoreDir).length).toBe(fs.files.length);
  // Only unverified backups: refused, naming the directory; an empty directory too.
  rmSync(older.path!, { recursive: true });
  const err = await resolveBackupSource(dir).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(UsageError);
  expect((err as UsageError).message).toContain(`no verified backup in ${dir}`);
  expect((err as UsageError).message).toMatch(/none of its 1 backup\(s\) is a verified/);
  await expect(resolveBackupSource(tempDir("bs-empty-"))).rejects.toThrow(/no verified backup in .*bs-empty-.*: it holds no backup/);
});

test("a garbled or unknown file is refused with what and where; a manifest's values are never paths", async () => {
  const dir = tempDir("bs-garbage-");
  const garbage = path.join(dir, "prod.dump");
  writeFileSync(garbage, "this is not a dump\n");
  await expect(resolveBackupSource(garbage)).rejects.toThrow(new RegExp(`not a backup: ${garbage} is neither a pg_dump custom-format file \\(PGDMP\\), an Odoo backup zip, nor a backup directory \\(it starts with "this is `));
  const empty = path.join(dir, "empty.dump");
  writeFileSync(empty, "");
  await expect(resolveBackupSource(empty)).rejects.toThrow(/it is empty/);
  const badZip = path.join(dir, "broken.zip");
  writeFileSync(badZip, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(100, 7)]));
  await expect(resolveBackupSource(badZip)).rejects.toThrow(new RegExp(`not a backup: ${badZip} is a damaged zip`));
  await expect(resolveBackupSource(path.join(dir, "missing.dump"))).rejects.toThrow(/backup not found: .*missing\.dump/);
  // A backup directory whose manifest names a file outside it.
  const evil = path.join(dir, "evil");
  mkdirSync(evil);
  writeFileSync(path.join(evil, "manifest.json"), JSON.stringify({ odoo_dump: "1", db_name: "x", odoo_deploy: { format: "custom", files: [{ name: "../../etc/passwd", bytes: 1, sha256: "0" }] } }));
  await expect(resolveBackupSource(evil)).rejects.toThrow(/not a plain name inside the backup directory/);
  // A backup directory whose dump is not one.
  const fake = path.join(dir, "fake");
  mkdirSync(fake);
  writeFileSync(path.join(fake, "manifest.json"), JSON.stringify({ odoo_dump: "1", db_name: "x", odoo_deploy: { format: "custom", files: [{ name: "database.dump", bytes: 1, sha256: "0" }] } }));
  writeFileSync(path.join(fake, "database.dump"), "garbage");
  await expect(resolveBackupSource(fake)).rejects.toThrow(/database\.dump is not a pg_dump custom-format archive/);
});

test("a dump with a column no rule covers: ok false, and the target keeps nothing (one transaction, psql killed before its input ends)", { timeout: 300_000 }, async ({ pg, labDb }) => {
  await pg.query("ALTER TABLE res_partner ADD COLUMN x_private_note text; UPDATE res_partner SET x_private_note = 'diary of ' || name", [], labDb.name);
  const file = path.join(tempDir("bs-uncovered-"), "prod.dump");
  await run(pg.bin("pg_dump"), ["-Fc", "--no-owner", "-f", file, "-d", labDb.url]);
  await withTarget(pg, labDb.name, async (target) => {
    const r = await restoreAnonymizedBackup({ backup: file, targetUrl: pg.url(target), preset: "odoo", secret: SECRET });
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ step: "restore", code: "UNCOVERED_COLUMNS", message: expect.stringContaining("x_private_note") });
    expect(r.steps.at(-1)).toMatchObject({ name: "restore", status: "failed" });
    // Nothing was committed: not the partners (the table does not even exist), nor the tables streamed before them.
    expect(await pg.query("SELECT to_regclass('public.res_partner') AS t", [], target)).toEqual([{ t: null }]);
    expect(await pg.query("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace", [], target)).toEqual([{ n: 0 }]);
    // Droppable: psql's session ends (its backend notices the killed client at once, or within moments).
    const sessions = async () => (await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1", [target], "postgres"))[0]!.n;
    for (let i = 0; i < 50 && (await sessions()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    expect(await sessions()).toBe(0);
  });
});

test("psql refusing a statement half-way: ok false with its error, nothing committed", { timeout: 120_000 }, async ({ pg, db }) => {
  await pg.query(
    `CREATE TABLE param (id int PRIMARY KEY, key varchar NOT NULL, value text);
     CREATE TABLE other (id int PRIMARY KEY, label varchar);
     INSERT INTO param VALUES (1, 'a', 'secret-a'); INSERT INTO other VALUES (1, 'x');`,
    [], db.name,
  );
  const file = path.join(tempDir("bs-psql-"), "small.dump");
  await run(pg.bin("pg_dump"), ["-Fc", "--no-owner", "-f", file, "-d", db.url]);
  // A where PostgreSQL rejects only when the DELETE runs (no such column): the stream has no catalog to know.
  const rules = loadRules({ text: "version: 1\ntables:\n  param: { where: \"no_such_column = 1\", columns: { key: keep, value: hash } }\n  other: { columns: { label: keep } }\n" });
  await withTarget(pg, db.name, async (target) => {
    const r = await restoreAnonymizedBackup({ backup: file, targetUrl: pg.url(target), rules, secret: SECRET });
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ step: "restore", code: "PSQL_FAILED", message: expect.stringMatching(/psql failed restoring the anonymized dump .*no_such_column/) });
    expect(await pg.query("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace", [], target)).toEqual([{ n: 0 }]);
  });
  // A where calling a volatile function is refused before anything runs (usage, thrown).
  const volatile = loadRules({ text: "version: 1\ntables:\n  param: { where: \"random() < 0.5\", columns: { key: keep, value: hash } }\n  other: { columns: { label: keep } }\n" });
  await withTarget(pg, db.name, async (target) => {
    await expect(restoreAnonymizedBackup({ backup: file, targetUrl: pg.url(target), rules: volatile, secret: SECRET })).rejects.toMatchObject({ code: "WHERE_REFUSED", message: expect.stringContaining("random()") });
  });
});

test("aborted half-way: AbortedError, and nothing committed", { timeout: 120_000 }, async ({ pg, labDb }) => {
  const file = path.join(tempDir("bs-abort-"), "prod.dump");
  await run(pg.bin("pg_dump"), ["-Fc", "--no-owner", "-f", file, "-d", labDb.url]);
  await withTarget(pg, labDb.name, async (target) => {
    const ac = new AbortController();
    const started = performance.now();
    const outcome = await restoreAnonymizedBackup({
      backup: file,
      targetUrl: pg.url(target),
      preset: "odoo",
      secret: SECRET,
      signal: ac.signal,
      // The restore step takes seconds on the lab (8 s here): 500 ms into it, psql is inside the transaction.
      onEvent: (e) => {
        if (e.type === "refresh:step-start" && e.name === "restore") setTimeout(() => ac.abort(), 500);
      },
    }).catch((e: unknown) => e);
    expect(outcome).toMatchObject({ name: "AbortedError" });
    expect(performance.now() - started).toBeLessThan(60_000);
    expect(await pg.query("SELECT count(*)::int AS n FROM pg_class WHERE relnamespace = 'public'::regnamespace", [], target)).toEqual([{ n: 0 }]);
  });
});

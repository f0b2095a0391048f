import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test, expect, describe } from "@odoo-deploy/testkit/vitest";
import { backupDatabase } from "./backup.js";
import { verifyBackup } from "./verify.js";
import { restoreDatabase } from "./restore.js";
import { readManifest } from "./manifest.js";
import { LAB_TEMPLATE_DB } from "@odoo-deploy/testkit";
import { tableChecksums, labFilestore, tempDir } from "./test-helpers.js";

// Every labDb is a copy of the template: its per-table checksums are computed once.
let labSums: Promise<Record<string, string>> | undefined;
const labChecksums = (pg: Parameters<typeof tableChecksums>[0]) => (labSums ??= tableChecksums(pg, LAB_TEMPLATE_DB));

describe("backupDatabase on the real Odoo 16 database", () => {
  test("custom format with filestore: published 0600, verified by restore, swapped in with identical rows", async ({ labDb, shared, pg }) => {
    const out = tempDir("bk-out-");
    const data = labFilestore(shared, labDb.name);
    const events: string[] = [];
    const r = await backupDatabase({
      dbUrl: labDb.url,
      directory: out,
      filestoreDir: data.filestoreDir,
      verify: "restore",
      metadata: { revision: "abc123" },
      progressIntervalMs: 0,
      onEvent: (e) => events.push(e.type),
    });
    expect(r.ok, JSON.stringify(r.verification?.checks)).toBe(true);
    const files = readdirSync(r.path!).sort();
    expect(files).toEqual(["database.dump", "filestore.tar", "manifest.json"]);
    for (const f of files) expect(statSync(path.join(r.path!, f)).mode & 0o777).toBe(0o600);
    expect(readdirSync(out)).toEqual([path.basename(r.path!)]);
    const m = await readManifest(r.path!);
    expect(m).toMatchObject({ odoo_dump: "1", db_name: labDb.name, major_version: "16.0", version: "16.0", pg_version: "15.0" });
    expect(m.modules.lab_demo).toBe("16.0.1.2.0");
    expect(Object.keys(m.modules)).toHaveLength(65);
    expect(m.odoo_deploy?.rowCounts?.["public.res_partner"]).toBe(66);
    expect(m.odoo_deploy?.tableCount).toBe(422);
    expect(m.odoo_deploy?.metadata.revision).toBe("abc123");
    expect(m.odoo_deploy?.verification).toMatchObject({ level: "restore", ok: true });
    expect(m.odoo_deploy?.filestore?.fileCount).toBe(498);
    const checks = Object.fromEntries(r.verification!.checks.map((c) => [c.name, c.status]));
    expect(checks).toMatchObject({ files: "ok", "archive-read": "ok", toc: "ok", filestore: "ok", "scratch-restore": "ok", "row-counts": "ok" });
    expect(r.verification!.checks.find((c) => c.name === "filestore")!.detail).toMatch(/249 referenced by ir_attachment/);
    expect(events).toContain("backup:progress");
    // the scratch database is gone
    expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${labDb.name}_verify_%`])).toEqual([]);

    // Restore with swap over the original: the original is kept aside, identical data under the name.
    const before = await labChecksums(pg);
    const rr = await restoreDatabase({ path: r.path!, dbUrl: labDb.url, filestoreDir: data.filestoreDir, swap: true });
    expect(rr.ok, JSON.stringify(rr.steps)).toBe(true);
    expect(rr.swapped).toBe(true);
    expect(rr.asideDatabase).toMatch(new RegExp(`^${labDb.name}_before_\\d{8}T\\d{6}Z_[0-9a-f]{6}$`));
    expect(await tableChecksums(pg, labDb.name)).toEqual(before);
    expect((await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [rr.asideDatabase])).length).toBe(1);
    expect(rr.asideFilestoreDir).toBe(path.join(path.dirname(data.filestoreDir), rr.asideDatabase!));
    expect(readdirSync(rr.asideFilestoreDir!).sort()).toEqual(readdirSync(data.filestoreDir).sort());
    await pg.dropDatabase(rr.asideDatabase!);
    rmSync(out, { recursive: true, force: true });
    data.cleanup();
  }, 180_000);

  test("verify names the attachment whose file was deleted from the filestore", async ({ labDb, shared, pg }) => {
    const out = tempDir("bk-out-");
    const data = labFilestore(shared, labDb.name);
    const rows = await pg.query<{ store_fname: string }>(
      "SELECT store_fname FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY id LIMIT 1",
      [],
      labDb.name,
    );
    const gone = rows[0]!.store_fname;
    unlinkSync(path.join(data.filestoreDir, gone));
    // Verified before publication: refused, nothing published.
    const refused = await backupDatabase({ dbUrl: labDb.url, directory: out, filestoreDir: data.filestoreDir, verify: "basic" });
    expect(refused.ok).toBe(false);
    expect(refused.path).toBeUndefined();
    expect(refused.verification!.missingFiles).toEqual([gone]);
    expect(readdirSync(out)).toEqual([]);
    // Published unverified, then verified: the check names the file.
    const r = await backupDatabase({ dbUrl: labDb.url, directory: out, filestoreDir: data.filestoreDir, verify: false });
    expect(r.ok).toBe(true);
    const v = await verifyBackup({ path: r.path! });
    expect(v.ok).toBe(false);
    const fsCheck = v.checks.find((c) => c.name === "filestore")!;
    expect(fsCheck.status).toBe("failed");
    expect(fsCheck.detail).toContain(gone);
    expect((await readManifest(r.path!)).odoo_deploy?.verification?.ok).toBe(false);
    rmSync(out, { recursive: true, force: true });
    data.cleanup();
  }, 120_000);

  test("zip format: Odoo's layout, restorable by hand (unzip, psql -f dump.sql) with identical rows", async ({ labDb, shared, pg }) => {
    const out = tempDir("bk-out-");
    const data = labFilestore(shared, labDb.name);
    const r = await backupDatabase({ dbUrl: labDb.url, directory: out, format: "zip", filestoreDir: data.filestoreDir, verify: "basic", rowCounts: true });
    expect(r.ok, JSON.stringify(r.verification?.checks)).toBe(true);
    const zipFile = path.join(r.path!, `${path.basename(r.path!)}.zip`);
    expect(statSync(zipFile).mode & 0o777).toBe(0o600);
    // By hand, the way Odoo's restore works: unzip, createdb, psql -f dump.sql, filestore/ copied.
    const unz = tempDir("bk-unzip-");
    execFileSync("unzip", ["-q", zipFile, "-d", unz]);
    const manifest = JSON.parse(readFileSync(path.join(unz, "manifest.json"), "utf8")) as Record<string, unknown>;
    expect(manifest).toMatchObject({ odoo_dump: "1", db_name: labDb.name, major_version: "16.0" });
    expect(readdirSync(path.join(unz, "filestore")).sort()).toEqual(readdirSync(data.filestoreDir).sort());
    const byHand = `${labDb.name}_byhand`;
    await pg.createDatabase(byHand);
    execFileSync(pg.bin("psql"), ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", pg.url(byHand), "-f", path.join(unz, "dump.sql")], { stdio: "pipe" });
    expect(await tableChecksums(pg, byHand)).toEqual(await labChecksums(pg));
    await pg.dropDatabase(byHand);
    rmSync(out, { recursive: true, force: true });
    rmSync(unz, { recursive: true, force: true });
    data.cleanup();
  }, 180_000);

  test("a zip made the way Odoo's database manager makes it is verified and restored by us", async ({ labDb, shared, pg }) => {
    const work = tempDir("bk-odoozip-");
    const data = labFilestore(shared, labDb.name);
    // Odoo's dump_db: manifest.json, pg_dump --no-owner (plain) as dump.sql, the filestore as filestore/, zipped.
    writeFileSync(path.join(work, "manifest.json"), JSON.stringify({ odoo_dump: "1", db_name: labDb.name, version: "16.0", version_info: [16, 0, 0, "final", 0, ""], major_version: "16.0", pg_version: "15.0", modules: { base: "16.0.1.3" } }));
    execFileSync(pg.bin("pg_dump"), ["--no-owner", "-f", path.join(work, "dump.sql"), pg.url(labDb.name)]);
    cpSync(data.filestoreDir, path.join(work, "filestore"), { recursive: true });
    const zipFile = path.join(tempDir("bk-odoozip-out-"), "odoo.zip");
    execFileSync("zip", ["-q", "-r", zipFile, "dump.sql", "filestore", "manifest.json"], { cwd: work });
    const v = await verifyBackup({ path: zipFile });
    expect(v.ok, JSON.stringify(v.checks)).toBe(true);
    expect(v.format).toBe("zip");
    const target = `${labDb.name}_odoozip`;
    const fsDir = path.join(data.dataDir, "filestore", target);
    const rr = await restoreDatabase({ path: zipFile, dbUrl: pg.url(target), filestoreDir: fsDir });
    expect(rr.ok, JSON.stringify(rr.steps)).toBe(true);
    // No database under that name before: the restored one takes it, its filestore lands at the given path.
    expect(rr.restoredAs).toBe(target);
    expect(await tableChecksums(pg, target)).toEqual(await labChecksums(pg));
    expect(readdirSync(fsDir).sort()).toEqual(readdirSync(data.filestoreDir).sort());
    await pg.dropDatabase(target);
    rmSync(work, { recursive: true, force: true });
    rmSync(path.dirname(zipFile), { recursive: true, force: true });
    data.cleanup();
  }, 180_000);
});


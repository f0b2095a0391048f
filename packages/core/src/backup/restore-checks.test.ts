import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, chownSync, createWriteStream, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import yazl from "yazl";
import type { PgCluster } from "@odoo-deploy/testkit";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { backupDatabase } from "./backup.js";
import { listBackups } from "./list.js";
import { pruneBackups } from "./prune.js";
import { restoreDatabase } from "./restore.js";
import { verifyBackup } from "./verify.js";
import { odooFile, odooShapedDb, tableChecksums, tempDir } from "./test-helpers.js";
import type { BackupManifest } from "./types.js";

interface ZipEntry {
  name: string;
  data?: Buffer;
  /** Unix mode in the entry's attributes (a symbolic link is 0o120777). */
  mode?: number;
  directory?: boolean;
}

async function writeZip(file: string, entries: ZipEntry[]): Promise<void> {
  const z = new yazl.ZipFile();
  for (const e of entries) {
    if (e.directory) z.addEmptyDirectory(e.name);
    else z.addBuffer(e.data!, e.name, { mode: e.mode ?? 0o100644, compress: false });
  }
  z.end();
  await pipeline(z.outputStream as NodeJS.ReadableStream, createWriteStream(file));
}

/** A target database ("old") with its filestore, and a zip's dump.sql of another Odoo-shaped database. */
async function fixture(pg: PgCluster, name: string) {
  const dataDir = tempDir("rc-data-");
  const fsDir = path.join(dataDir, "filestore", name);
  await pg.createDatabase(name);
  await odooShapedDb(pg, name, ["old attachment"], fsDir);
  const src = `${name}_src`;
  await pg.createDatabase(src);
  const rels = await odooShapedDb(pg, src, ["first attachment", "second attachment"]);
  const dump = execFileSync(pg.bin("pg_dump"), ["--no-owner", pg.url(src)], { maxBuffer: 64 * 1024 * 1024 });
  await pg.dropDatabase(src);
  const before = await tableChecksums(pg, name);
  /** Nothing of a failed restore is left: the databases and the filestore directory are as before. */
  const untouched = async () => {
    expect(await tableChecksums(pg, name)).toEqual(before);
    expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${name}\\_%`])).toEqual([]);
    expect(readdirSync(path.dirname(fsDir))).toEqual([name]);
    expect(readdirSync(fsDir)).toEqual([odooFile("old attachment").rel.slice(0, 2)]);
  };
  return { dataDir, fsDir, dump, rels, untouched, journalDir: path.join(dataDir, "journal") };
}

describe("restore checks what it writes, as verify does", () => {
  test("a filestore file whose sha1 is not its name (CRC recomputed) or whose bytes are flipped (CRC wrong): verify and restore refuse, nothing partial left", async ({ db, pg }) => {
    const f = await fixture(pg, `${db.name}_t`);
    const good = [odooFile("first attachment"), odooFile("second attachment")];
    const base: ZipEntry[] = [{ name: "dump.sql", data: f.dump }, { name: "manifest.json", data: Buffer.from(JSON.stringify({ odoo_dump: "1", db_name: "x" })) }];
    // A zip made from a damaged file: the CRC is the damaged bytes', only Odoo's sha1 naming tells.
    const renamed = path.join(f.dataDir, "sha1.zip");
    await writeZip(renamed, [...base, { name: `filestore/${good[0]!.rel}`, data: Buffer.from("first attachmenT") }, { name: `filestore/${good[1]!.rel}`, data: good[1]!.content }]);
    // A byte flipped inside the zip: the CRC no longer matches.
    const flipped = path.join(f.dataDir, "crc.zip");
    await writeZip(flipped, [...base, ...good.map((g) => ({ name: `filestore/${g.rel}`, data: g.content }))]);
    const bytes = readFileSync(flipped);
    const at = bytes.indexOf("second attachment");
    bytes[at + 3] = bytes[at + 3]! ^ 0x01;
    writeFileSync(flipped, bytes);

    for (const [zip, code, check] of [[renamed, "FILESTORE_DAMAGED", "filestore"], [flipped, "ZIP_CRC", "archive-read"]] as const) {
      const v = await verifyBackup({ path: zip });
      expect(v.ok, zip).toBe(false);
      expect(v.checks.find((c) => c.name === check)).toMatchObject({ status: "failed" });
      const r = await restoreDatabase({ path: zip, dbUrl: pg.url(`${db.name}_t`), filestoreDir: f.fsDir, swap: true, journalDir: f.journalDir });
      expect(r.ok, zip).toBe(false);
      expect(r.failure).toMatchObject({ step: "restore-filestore", code });
      await f.untouched();
    }
    await pg.dropDatabase(`${db.name}_t`);
    rmSync(f.dataDir, { recursive: true, force: true });
  });

  test("zip entries restore refuses are refused by verify too: links, empty path parts, a file where a directory is needed, a name twice", async ({ db, pg }) => {
    const f = await fixture(pg, `${db.name}_t`);
    const [a, b] = [odooFile("first attachment"), odooFile("second attachment")];
    const base: ZipEntry[] = [{ name: "dump.sql", data: f.dump }, { name: `filestore/${a.rel}`, data: a.content }, { name: `filestore/${b.rel}`, data: b.content }];
    const cases: [string, ZipEntry[]][] = [
      ["symlink", [...base, { name: "filestore/ab/link", data: Buffer.from("/etc/shadow"), mode: 0o120777 }]],
      ["empty part", [...base, { name: "filestore/ab//x", data: Buffer.from("x") }]],
      ["file then directory", [...base, { name: "filestore/zz", data: Buffer.from("x") }, { name: "filestore/zz/y", data: Buffer.from("y") }]],
    ];
    for (const [label, entries] of cases) {
      const zip = path.join(f.dataDir, `${label.replace(/ /g, "-")}.zip`);
      await writeZip(zip, entries);
      const v = await verifyBackup({ path: zip });
      expect(v.ok, label).toBe(false);
      expect(v.checks.find((c) => c.name === "filestore")?.detail, label).toMatch(/entries a restore refuses/);
      const r = await restoreDatabase({ path: zip, dbUrl: pg.url(`${db.name}_t`), filestoreDir: f.fsDir, swap: true, journalDir: f.journalDir });
      expect(r.failure, label).toMatchObject({ step: "restore-filestore", code: "FILESTORE_ENTRY_REFUSED" });
      await f.untouched();
    }
    // A zip naming an entry twice: which copy a reader takes is the reader's choice, so neither takes one.
    const twice = path.join(f.dataDir, "twice.zip");
    await writeZip(twice, [...base, { name: `filestore/${a.rel}`, data: Buffer.from("other") }]);
    await expect(verifyBackup({ path: twice })).rejects.toThrow(/holds "filestore\/.*" twice/);
    await expect(restoreDatabase({ path: twice, dbUrl: pg.url(`${db.name}_t`), filestoreDir: f.fsDir, swap: true, journalDir: f.journalDir })).rejects.toThrow(/twice/);
    await f.untouched();
    await pg.dropDatabase(`${db.name}_t`);
    rmSync(f.dataDir, { recursive: true, force: true });
  });

  test("a custom-format filestore.tar from a stranger (manifest sha256 matching): a damaged file or a link entry is refused by both", async ({ db, pg }) => {
    const dataDir = tempDir("rc-tar-");
    const srcFs = path.join(dataDir, "src");
    await odooShapedDb(pg, db.name, ["first attachment", "second attachment"], srcFs);
    const b = await backupDatabase({ dbUrl: db.url, directory: path.join(dataDir, "backups"), filestoreDir: srcFs, verify: false });
    expect(b.ok).toBe(true);
    const target = `${db.name}_t`;
    const fsDir = path.join(dataDir, "filestore", target);
    const rewrite = async (entries: { name: string; data: Buffer; type?: "file" | "symlink" }[]) => {
      const pack = tar.pack();
      for (const e of entries) {
        if (e.type === "symlink") pack.entry({ name: e.name, type: "symlink", linkname: "/etc/shadow" });
        else pack.entry({ name: e.name, size: e.data.length }, e.data);
      }
      pack.finalize();
      const tarFile = path.join(b.path!, "filestore.tar");
      await pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(tarFile));
      // The stranger's manifest agrees with the archive: only the content check can tell.
      const m = JSON.parse(readFileSync(path.join(b.path!, "manifest.json"), "utf8")) as BackupManifest;
      const data = readFileSync(tarFile);
      m.odoo_deploy!.files = m.odoo_deploy!.files.map((x) => (x.name === "filestore.tar" ? { ...x, bytes: data.length, sha256: createHash("sha256").update(data).digest("hex") } : x));
      writeFileSync(path.join(b.path!, "manifest.json"), JSON.stringify(m));
    };
    const [a, c] = [odooFile("first attachment"), odooFile("second attachment")];
    for (const [label, entries, code] of [
      ["damaged", [{ name: `./${a.rel}`, data: Buffer.from("first attachmenT") }, { name: `./${c.rel}`, data: c.content }], "FILESTORE_DAMAGED"],
      ["link", [{ name: `./${a.rel}`, data: a.content }, { name: `./${c.rel}`, data: c.content }, { name: "./ab/x", data: Buffer.alloc(0), type: "symlink" as const }], "FILESTORE_ENTRY_REFUSED"],
    ] as const) {
      await rewrite([...entries]);
      const v = await verifyBackup({ path: b.path!, record: false });
      expect(v.ok, label).toBe(false);
      expect(v.checks.find((x) => x.name === "filestore")).toMatchObject({ status: "failed" });
      const r = await restoreDatabase({ path: b.path!, dbUrl: pg.url(target), filestoreDir: fsDir, journalDir: path.join(dataDir, "journal") });
      expect(r.failure, label).toMatchObject({ step: "restore-filestore", code });
      expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${target}%`])).toEqual([]);
      expect(readdirSync(path.dirname(fsDir))).toEqual([]);
    }
    rmSync(dataDir, { recursive: true, force: true });
  });
});

const asRoot = process.getuid?.() === 0;
const nobody = asRoot ? readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("nobody:"))?.split(":") : undefined;

describe("the restored filestore keeps the owner and modes of the one it replaces", () => {
  // Giving files away needs root; in CI the test must run, not be skipped.
  test.skipIf(!asRoot && !process.env.CI)("as root: an Odoo server running as nobody reads the swapped-in files (replaced tree, or only a parent)", async ({ db, pg }) => {
    expect(nobody, "a nobody user").toBeDefined();
    const [uid, gid] = [Number(nobody![2]), Number(nobody![3])];
    const dataDir = tempDir("rc-owner-");
    chmodSync(dataDir, 0o755);
    const srcFs = path.join(dataDir, "src");
    const rels = await odooShapedDb(pg, db.name, ["first attachment", "second attachment"], srcFs);
    const b = await backupDatabase({ dbUrl: db.url, directory: path.join(dataDir, "backups"), filestoreDir: srcFs, verify: false });
    const filestores = path.join(dataDir, "filestore");
    mkdirSync(filestores, { mode: 0o750 });
    chmodSync(filestores, 0o750);
    chownSync(filestores, uid, gid);
    const readsAsNobody = (file: string) => execFileSync("runuser", ["-u", "nobody", "--", "cat", file]).toString();

    // 1. Replacing a filestore of nobody's (dirs 0750, files 0640, the root 0700).
    const target = `${db.name}_t`;
    const fsDir = path.join(filestores, target);
    await pg.createDatabase(target);
    const old = await odooShapedDb(pg, target, ["old attachment"], fsDir);
    chmodSync(path.join(fsDir, path.dirname(old[0]!)), 0o750);
    chmodSync(path.join(fsDir, old[0]!), 0o640);
    chmodSync(fsDir, 0o700);
    execFileSync("chown", ["-R", `${uid}:${gid}`, fsDir]);
    const r = await restoreDatabase({ path: b.path!, dbUrl: pg.url(target), filestoreDir: fsDir, swap: true, journalDir: path.join(dataDir, "journal") });
    expect(r.ok, JSON.stringify(r.steps)).toBe(true);
    for (const rel of rels) {
      expect(readsAsNobody(path.join(fsDir, rel))).toBe(rel === rels[0] ? "first attachment" : "second attachment");
      const st = statSync(path.join(fsDir, rel));
      expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([uid, gid, 0o640]);
      const dir = statSync(path.join(fsDir, path.dirname(rel)));
      expect([dir.uid, dir.mode & 0o7777]).toEqual([uid, 0o750]);
    }
    expect([statSync(fsDir).uid, statSync(fsDir).mode & 0o7777]).toEqual([uid, 0o700]);
    expect(r.steps.find((s) => s.name === "restore-filestore")!.detail).toMatch(new RegExp(`owner ${uid}:${gid}, modes 750/640 as the replaced filestore`));

    // 2. No filestore yet: the parent's owner, its mode for directories and without execute bits for files.
    const fresh = `${db.name}_f`;
    const freshFs = path.join(filestores, fresh);
    const r2 = await restoreDatabase({ path: b.path!, dbUrl: pg.url(fresh), filestoreDir: freshFs, journalDir: path.join(dataDir, "journal") });
    expect(r2.ok, JSON.stringify(r2.steps)).toBe(true);
    expect(readsAsNobody(path.join(freshFs, rels[1]!))).toBe("second attachment");
    const st = statSync(path.join(freshFs, rels[1]!));
    expect([st.uid, st.gid, st.mode & 0o7777]).toEqual([uid, gid, 0o640]);
    await pg.dropDatabase(target);
    await pg.dropDatabase(r.asideDatabase!);
    await pg.dropDatabase(fresh);
    rmSync(dataDir, { recursive: true, force: true });
  });
});

describe("prune deletes only what it can prove is a backup of ours", () => {
  test("an Odoo zip lying in the directory and a file added to a backup stay; retention counts per database", async ({ db, pg }) => {
    const dir = tempDir("rc-prune-");
    await odooShapedDb(pg, db.name, ["first attachment"]);
    const other = `${db.name}_other`;
    await pg.createDatabase(other);
    await odooShapedDb(pg, other, []);
    const olds = [];
    for (let i = 0; i < 2; i++) olds.push((await backupDatabase({ dbUrl: db.url, directory: dir, verify: false })).path!);
    const otherOne = (await backupDatabase({ dbUrl: pg.url(other), directory: dir, verify: false })).path!;
    await pg.dropDatabase(other);
    // A zip someone put there (Odoo's own format, not written by odoo-deploy), and a note inside a backup.
    const zip = path.join(dir, "from-the-odoo-ui.zip");
    await writeZip(zip, [{ name: "dump.sql", data: Buffer.from("-- dump") }, { name: "manifest.json", data: Buffer.from('{"odoo_dump": "1", "db_name": "x"}') }]);
    writeFileSync(path.join(olds[0]!, "NOTES.txt"), "restored into staging on 2026-11-02");

    const future = new Date(Date.now() + 400 * 86_400_000);
    const r = await pruneBackups({ directory: dir, keepLast: 1, now: future });
    expect(r.ok, JSON.stringify(r.steps)).toBe(true);
    expect(r.deleted).toEqual([path.basename(olds[0]!)]);
    expect(r.ignored).toEqual([{ name: "from-the-odoo-ui.zip", reason: expect.stringMatching(/not written by odoo-deploy/) }]);
    // The other database's only backup is kept: it is the newest of its database.
    expect(r.kept.map((k) => k.name).sort()).toEqual([path.basename(olds[1]!), path.basename(otherOne)].sort());
    expect(readdirSync(dir).sort()).toEqual([path.basename(olds[0]!), path.basename(olds[1]!), path.basename(otherOne), "from-the-odoo-ui.zip"].sort());
    // What is left of the deleted backup is the file odoo-deploy did not write.
    expect(readdirSync(olds[0]!)).toEqual(["NOTES.txt"]);
    expect((await listBackups({ directory: dir })).backups.map((x) => x.name).sort()).toEqual([path.basename(olds[1]!), path.basename(otherOne), "from-the-odoo-ui.zip"].sort());
    rmSync(dir, { recursive: true, force: true });
  });
});

// (Over 300 lines: each policy tested on the real 16/17/18 lab databases and filestore, with shared fixtures.)
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { createSshRunner } from "@odoo-deploy/core";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { stageFilestore } from "./filestore-policy.js";
import { placeholderKind, placeholderOfKind } from "./placeholders.js";
import { checkJpeg, checkPdf, checkPlaceholderBytes, checkPng, filesUnder, inode, labFilestore, sha1, tempDir } from "./test-helpers.js";
import type { RefreshEvent } from "./types.js";

interface Row {
  id: number;
  store_fname: string | null;
  checksum: string | null;
  file_size: number | null;
  mimetype: string | null;
  name: string | null;
  res_model: string | null;
  res_field: string | null;
}

interface Cluster {
  query<R extends object>(sql: string, params?: unknown[], database?: string): Promise<R[]>;
}

const ROWS = "SELECT id, store_fname, checksum, file_size, mimetype, name, res_model, res_field FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY id";

async function fileRows(pg: Cluster, db: string): Promise<Row[]> {
  return pg.query<Row>(ROWS, [], db);
}

/** Every row's file is in the target, named by its sha1, equal to the checksum and file_size columns. */
function expectFilesOfRows(targetDir: string, rows: Row[]): void {
  for (const r of rows) {
    const abs = path.join(targetDir, r.store_fname!);
    expect(existsSync(abs), `${r.id}: ${r.store_fname} present`).toBe(true);
    const bytes = readFileSync(abs);
    expect(sha1(bytes), `${r.id}: content named by its sha1`).toBe(path.basename(r.store_fname!));
    expect(r.checksum, `${r.id}: checksum`).toBe(sha1(bytes));
    expect(r.file_size, `${r.id}: file_size`).toBe(bytes.length);
  }
}

/** sha1 of every file of a filestore directory. */
function contentShas(dir: string): Set<string> {
  return new Set([...filesUnder(dir).values()].map((p) => sha1(readFileSync(p))));
}

describe("stageFilestore on the real Odoo 16 lab database and its filestore", () => {
  test("placeholders (default): every referenced file is a valid placeholder of its type, none is an original; asset bundles gone", async ({ labDb, pg, shared }) => {
    const lab = labFilestore(shared);
    const out = tempDir("stage-ph-");
    try {
      const originals = contentShas(lab.dir);
      const before = await fileRows(pg, labDb.name);
      expect(before).toHaveLength(616);
      const bundles = await pg.query<{ id: number }>("SELECT id FROM ir_attachment WHERE url LIKE '/web/assets/%' ORDER BY id", [], labDb.name);
      expect(bundles.map((b) => b.id)).toEqual([615, 616, 617]);

      const events: RefreshEvent[] = [];
      const targetDir = path.join(out.dir, "staging.partial");
      const r = await stageFilestore({ policy: "placeholders", dbUrl: labDb.url, targetDir, onEvent: (e) => events.push(e) });

      expect(r.ok).toBe(true);
      expect(r.assetBundlesRemoved).toBe(3);
      expect(await pg.query("SELECT id FROM ir_attachment WHERE url LIKE '/web/assets/%'", [], labDb.name)).toEqual([]);
      const after = await fileRows(pg, labDb.name);
      expect(after).toHaveLength(613);
      expect(r).toMatchObject({ policy: "placeholders", attachments: 613, placeholders: 613, copied: 0, linked: 0, missing: 0, databaseAttachmentsReplaced: 0 });

      // mimetype kept, content replaced, every file there and named as Odoo would
      const byId = new Map(before.map((b) => [b.id, b]));
      for (const a of after) {
        expect(a.mimetype).toBe(byId.get(a.id)!.mimetype);
        expect(a.store_fname).not.toBe(byId.get(a.id)!.store_fname);
      }
      expectFilesOfRows(targetDir, after);
      const written = filesUnder(targetDir);
      expect(r.files).toBe(written.size);
      expect(r.placeholderFiles).toBe(written.size);
      expect(r.bytes).toBe([...written.values()].reduce((n, p) => n + statSync(p).size, 0));
      // one file per kind: 613 rows share a handful of files
      expect(written.size).toBe(new Set(after.map((a) => placeholderKind({ mimetype: a.mimetype, name: a.name, resModel: a.res_model }))).size);
      for (const p of written.values()) expect(originals.has(sha1(readFileSync(p))), `${p} is an original`).toBe(false);

      // each placeholder valid for the type its row says
      const kinds = new Set<string>();
      for (const a of after) {
        const kind = placeholderKind({ mimetype: a.mimetype, name: a.name, resModel: a.res_model });
        kinds.add(kind);
        const bytes = readFileSync(path.join(targetDir, a.store_fname!));
        checkPlaceholderBytes(kind, bytes);
        if (a.mimetype === "image/png") expect(checkPng(bytes)).toEqual({ width: 1, height: 1 });
        if (a.mimetype === "image/jpeg") expect(checkJpeg(bytes)).toEqual({ width: 1, height: 1 });
        if (a.mimetype === "application/pdf") expect(checkPdf(bytes).pages).toBe(1);
      }
      expect([...kinds].sort()).toEqual(["css", "ico", "jpeg", "pdf", "png", "rtf", "spreadsheet-json", "svg"]);

      expect(statSync(targetDir).mode & 0o777).toBe(0o700);
      for (const p of written.values()) expect(statSync(p).mode & 0o777).toBe(0o600);
      const progress = events.filter((e) => e.type === "refresh:progress");
      expect(progress.every((e) => e.phase === "filestore" && e.unit === "files")).toBe(true);
      expect(progress.at(-1)).toMatchObject({ done: 613, total: 613 });
    } finally {
      out.cleanup();
      lab.cleanup();
    }
  });

  test("public: the originals of the product images (and only those) are copied, every other file is a placeholder", async ({ labDb, pg, shared }) => {
    const lab = labFilestore(shared);
    const out = tempDir("stage-pub-");
    try {
      const before = await fileRows(pg, labDb.name);
      const targetDir = path.join(out.dir, "staging.partial");
      const r = await stageFilestore({ policy: "public", dbUrl: labDb.url, targetDir, source: { dir: lab.dir } });
      expect(r.ok).toBe(true);
      const after = await fileRows(pg, labDb.name);
      const byId = new Map(before.map((b) => [b.id, b]));
      const kept = after.filter((a) => a.store_fname === byId.get(a.id)!.store_fname);
      // lab: 25 product.template × 5 image sizes, 2 product.product × 5 variant sizes; no other public file
      // (the three public rows are the asset bundles, removed, and a url attachment without a file)
      expect(kept).toHaveLength(135);
      expect(new Set(kept.map((k) => `${k.res_model}.${k.res_field!.replace(/_\d+$/, "")}`))).toEqual(new Set(["product.template.image", "product.product.image_variant"]));
      const productImages = after.filter((a) => a.res_model?.startsWith("product.") && a.res_field?.startsWith("image"));
      expect(productImages.map((p) => p.id)).toEqual(kept.map((k) => k.id));
      for (const k of kept) {
        expect(readFileSync(path.join(targetDir, k.store_fname!)).equals(readFileSync(path.join(lab.dir, k.store_fname!)))).toBe(true);
      }
      const originals = contentShas(lab.dir);
      for (const a of after.filter((x) => !kept.includes(x))) {
        expect(originals.has(sha1(readFileSync(path.join(targetDir, a.store_fname!)))), `${a.id} (${a.res_model}) has an original`).toBe(false);
      }
      expectFilesOfRows(targetDir, after);
      const distinctKept = new Set(kept.map((k) => k.store_fname)).size;
      expect(r).toMatchObject({ copied: distinctKept, linked: distinctKept, placeholders: 613 - 135, missing: 0 });
      expect(filesUnder(targetDir).size).toBe(distinctKept + r.placeholderFiles);
    } finally {
      out.cleanup();
      lab.cleanup();
    }
  });

  test("all, same filesystem: every referenced file is a hard link of the source's (same inode); rows untouched", async ({ labDb, pg, shared }) => {
    const lab = labFilestore(shared);
    const out = tempDir("stage-all-");
    try {
      const before = (await fileRows(pg, labDb.name)).filter((b) => ![615, 616, 617].includes(b.id));
      const targetDir = path.join(out.dir, "staging.partial");
      const r = await stageFilestore({ policy: "all", dbUrl: labDb.url, targetDir, source: { dir: lab.dir } });
      expect(await fileRows(pg, labDb.name)).toEqual(before);
      const distinct = new Set(before.map((b) => b.store_fname!));
      expect(r).toMatchObject({ ok: true, files: distinct.size, copied: distinct.size, linked: distinct.size, placeholders: 0, placeholderFiles: 0, missing: 0, assetBundlesRemoved: 3 });
      expect(new Set(filesUnder(targetDir).keys())).toEqual(distinct);
      for (const f of distinct) expect(inode(path.join(targetDir, f)), f).toBe(inode(path.join(lab.dir, f)));
      expectFilesOfRows(targetDir, before);
      // the bundles' files are not brought: staging makes its own
      expect(existsSync(path.join(targetDir, "8e/8e2fdc9a0a93e182f5b8b9ce0ba591a042d935ad"))).toBe(false);
    } finally {
      out.cleanup();
      lab.cleanup();
    }
  });

  test("all, another filesystem (/dev/shm → tmp): copies with the same content, not links", async ({ labDb, pg, shared, skip }) => {
    if (!existsSync("/dev/shm") || statSync("/dev/shm").dev === statSync(os.tmpdir()).dev) skip("no second filesystem here");
    const lab = labFilestore(shared, "/dev/shm");
    const out = tempDir("stage-xfs-");
    try {
      const before = (await fileRows(pg, labDb.name)).filter((b) => ![615, 616, 617].includes(b.id));
      const targetDir = path.join(out.dir, "staging.partial");
      const r = await stageFilestore({ policy: "all", dbUrl: labDb.url, targetDir, source: { dir: lab.dir } });
      const distinct = new Set(before.map((b) => b.store_fname!));
      expect(r).toMatchObject({ ok: true, copied: distinct.size, linked: 0, missing: 0 });
      for (const f of distinct) {
        expect(inode(path.join(targetDir, f))).not.toBe(inode(path.join(lab.dir, f)));
        expect(statSync(path.join(targetDir, f)).mode & 0o777).toBe(0o600);
      }
      expectFilesOfRows(targetDir, before);
    } finally {
      out.cleanup();
      lab.cleanup();
    }
  });
});

describe("stageFilestore on the real Odoo 17 and 18 lab databases (same ir_attachment columns)", () => {
  test.for(["17.0", "18.0"] as const)("%s: placeholders for every referenced file, each valid for its row's type", async (version, { labDbOf, pg }) => {
    const lab = await labDbOf(version);
    const out = tempDir("stage-v-");
    try {
      const targetDir = path.join(out.dir, "t");
      const r = await stageFilestore({ policy: "placeholders", dbUrl: lab.url, targetDir });
      const rows = await fileRows(pg, lab.name);
      expect(rows.length).toBeGreaterThan(100);
      expect(r).toMatchObject({ ok: true, placeholders: rows.length, missing: 0 });
      expectFilesOfRows(targetDir, rows);
      for (const a of rows) checkPlaceholderBytes(placeholderKind({ mimetype: a.mimetype, name: a.name, resModel: a.res_model }), readFileSync(path.join(targetDir, a.store_fname!)));
    } finally {
      out.cleanup();
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------
// A small ir_attachment of our own: missing files, unsafe names, data in the database, pages, runners, abort

const SCHEMA = `CREATE TABLE ir_attachment (
  id serial PRIMARY KEY, res_id integer, file_size integer, create_uid integer, name varchar, res_model varchar,
  res_field varchar, type varchar, url varchar, store_fname varchar, checksum varchar(40), mimetype varchar,
  public boolean, db_datas bytea, index_content text)`;

function odooFile(dir: string, content: string | Buffer): { fname: string; sha: string; size: number } {
  const data = Buffer.from(content);
  const sha = createHash("sha1").update(data).digest("hex");
  mkdirSync(path.join(dir, sha.slice(0, 2)), { recursive: true });
  writeFileSync(path.join(dir, sha.slice(0, 2), sha), data);
  return { fname: `${sha.slice(0, 2)}/${sha}`, sha, size: data.length };
}

async function smallOdoo(pg: Cluster, db: string, sourceDir: string) {
  await pg.query(SCHEMA, [], db);
  const photo = odooFile(sourceDir, "JPEG bytes of a person's photo");
  const contract = odooFile(sourceDir, "%PDF-1.4 a signed contract of Jane Doe");
  const logo = odooFile(sourceDir, "PNG bytes of the public logo");
  const bundle = odooFile(sourceDir, "body{color:red}");
  const add = (v: Record<string, unknown>) =>
    pg.query(
      `INSERT INTO ir_attachment (name, mimetype, store_fname, checksum, file_size, res_model, res_field, res_id, public, url, create_uid, db_datas, type)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'binary')`,
      [v.name, v.mimetype, v.store_fname ?? null, v.checksum ?? null, v.file_size ?? null, v.res_model ?? null, v.res_field ?? null, v.res_id ?? 1, v.public ?? false, v.url ?? null, v.create_uid ?? 2, v.db_datas ?? null],
      db,
    );
  await add({ name: "photo.jpg", mimetype: "image/jpeg", store_fname: photo.fname, checksum: photo.sha, file_size: photo.size, res_model: "res.partner", res_field: "image_1920" });
  await add({ name: "contract.pdf", mimetype: "application/pdf", store_fname: contract.fname, checksum: contract.sha, file_size: contract.size, res_model: "res.partner" });
  await add({ name: "logo.png", mimetype: "image/png", store_fname: logo.fname, checksum: logo.sha, file_size: logo.size, public: true });
  await add({ name: "gone.pdf", mimetype: "application/pdf", store_fname: "ab/ab00000000000000000000000000000000000000", checksum: "ab00000000000000000000000000000000000000", file_size: 10, res_model: "res.partner" });
  await add({ name: "evil", mimetype: "text/plain", store_fname: "../../../../etc/passwd", checksum: "x", file_size: 1, res_model: "res.partner" });
  await add({ name: "notes.txt", mimetype: "text/plain", db_datas: Buffer.from("private notes in the database"), file_size: 29, res_model: "res.partner" });
  await add({ name: "public.txt", mimetype: "text/plain", db_datas: Buffer.from("public text in the database"), file_size: 27, public: true });
  await add({ name: "web.assets_frontend.min.css", mimetype: "text/css", store_fname: bundle.fname, checksum: bundle.sha, file_size: bundle.size, res_model: "ir.ui.view", res_id: 0, public: true, url: "/web/assets/1-abc/web.assets_frontend.min.css", create_uid: 1 });
  // Like a bundle but a record's own attachment (res_id 7): not Odoo's generated bundle, kept.
  await add({ name: "kept.css", mimetype: "text/css", store_fname: bundle.fname, checksum: bundle.sha, file_size: bundle.size, res_model: "ir.ui.view", res_id: 7, public: true, url: "/web/assets/2-def/kept.css", create_uid: 1 });
  return { photo, contract, logo, bundle };
}

async function tableImage(pg: Cluster, db: string): Promise<string> {
  const r = await pg.query<{ h: string }>("SELECT md5(string_agg(a::text, E'\\n' ORDER BY id)) AS h FROM ir_attachment a", [], db);
  return r[0]!.h;
}

describe("stageFilestore on a small ir_attachment", () => {
  test("all: missing and unsafe names counted (not fatal, rows kept), the bundle removed, a look-alike kept", async ({ db, pg }) => {
    const src = tempDir("src-");
    const out = tempDir("out-");
    try {
      const f = await smallOdoo(pg, db.name, src.dir);
      const targetDir = path.join(out.dir, "t");
      const warnings: string[] = [];
      const r = await stageFilestore({ policy: "all", dbUrl: db.url, targetDir, source: { dir: src.dir }, onEvent: (e) => e.type === "refresh:warning" && warnings.push(e.message) });
      expect(r).toMatchObject({ ok: true, assetBundlesRemoved: 1, missing: 2, unsafeNames: 1, copied: 4, linked: 4 });
      expect(r.missingFiles.sort()).toEqual(["../../../../etc/passwd", "ab/ab00000000000000000000000000000000000000"]);
      expect(r.checks.find((c) => c.name === "missing")!.detail).toMatch(/^2 referenced files absent from the source \(1 with a store_fname that is not a plain relative path, refused\)/);
      expect(warnings).toHaveLength(1);
      expect(new Set(filesUnder(targetDir).keys())).toEqual(new Set([f.photo.fname, f.contract.fname, f.logo.fname, f.bundle.fname]));
      expect(existsSync(path.join(out.dir, "etc"))).toBe(false);
      expect((await pg.query<{ name: string }>("SELECT name FROM ir_attachment WHERE url LIKE '/web/assets/%'", [], db.name)).map((x) => x.name)).toEqual(["kept.css"]);
      // database contents kept under `all`
      expect(await pg.query("SELECT convert_from(db_datas, 'UTF8') AS t FROM ir_attachment WHERE db_datas IS NOT NULL ORDER BY id", [], db.name)).toEqual([
        { t: "private notes in the database" },
        { t: "public text in the database" },
      ]);
    } finally {
      src.cleanup();
      out.cleanup();
    }
  });

  test("placeholders: data in the database replaced too; no source needed, nothing missing", async ({ db, pg }) => {
    const src = tempDir("src-");
    const out = tempDir("out-");
    try {
      await smallOdoo(pg, db.name, src.dir);
      const targetDir = path.join(out.dir, "t");
      const r = await stageFilestore({ policy: "placeholders", dbUrl: db.url, targetDir });
      expect(r).toMatchObject({ ok: true, placeholders: 6, databaseAttachmentsReplaced: 2, missing: 0, copied: 0 });
      const text = placeholderOfKind("text");
      expect(await pg.query("SELECT db_datas, checksum, file_size FROM ir_attachment WHERE db_datas IS NOT NULL ORDER BY id", [], db.name)).toEqual([
        { db_datas: text.bytes, checksum: text.sha1, file_size: text.bytes.length },
        { db_datas: text.bytes, checksum: text.sha1, file_size: text.bytes.length },
      ]);
      expectFilesOfRows(targetDir, await fileRows(pg, db.name));
      // jpeg, pdf, png, text (gone.pdf shares the pdf, evil the text), css (kept.css)
      expect(filesUnder(targetDir).size).toBe(5);
    } finally {
      src.cleanup();
      out.cleanup();
    }
  });

  test("public: the public file and the public database text kept, the rest placeholders", async ({ db, pg }) => {
    const src = tempDir("src-");
    const out = tempDir("out-");
    try {
      const f = await smallOdoo(pg, db.name, src.dir);
      const targetDir = path.join(out.dir, "t");
      const r = await stageFilestore({ policy: "public", dbUrl: db.url, targetDir, source: { dir: src.dir } });
      // logo.png and the look-alike bundle (public) are originals; the photo, the contracts and "evil" placeholders
      expect(r).toMatchObject({ ok: true, copied: 2, placeholders: 4, databaseAttachmentsReplaced: 1, missing: 0 });
      const rows = await fileRows(pg, db.name);
      expect(rows.find((x) => x.name === "logo.png")!.store_fname).toBe(f.logo.fname);
      expect(rows.find((x) => x.name === "photo.jpg")!.store_fname).toBe(placeholderOfKind("jpeg").storeFname);
      expect(rows.find((x) => x.name === "evil")!.store_fname).toBe(placeholderOfKind("text").storeFname);
      expectFilesOfRows(targetDir, rows);
      expect(await pg.query("SELECT name, convert_from(db_datas, 'UTF8') AS t FROM ir_attachment WHERE db_datas IS NOT NULL ORDER BY id", [], db.name)).toEqual([
        { name: "notes.txt", t: placeholderOfKind("text").bytes.toString() },
        { name: "public.txt", t: "public text in the database" },
      ]);
    } finally {
      src.cleanup();
      out.cleanup();
    }
  });

  test("none: no file written, rows kept (reported missing), database contents cleared", async ({ db, pg }) => {
    const src = tempDir("src-");
    const out = tempDir("out-");
    try {
      await smallOdoo(pg, db.name, src.dir);
      const before = (await fileRows(pg, db.name)).filter((x) => x.name !== "web.assets_frontend.min.css");
      const targetDir = path.join(out.dir, "t");
      const r = await stageFilestore({ policy: "none", dbUrl: db.url, targetDir });
      expect(r).toMatchObject({ ok: true, files: 0, missing: 6, databaseAttachmentsCleared: 2, assetBundlesRemoved: 1 });
      expect(readdirSync(targetDir)).toEqual([]);
      expect(await fileRows(pg, db.name)).toEqual(before);
      expect(await pg.query("SELECT count(*)::int AS n FROM ir_attachment WHERE db_datas IS NOT NULL", [], db.name)).toEqual([{ n: 0 }]);
    } finally {
      src.cleanup();
      out.cleanup();
    }
  });

  test("many pages of rows sharing files; given perms applied to what is written, never to hard links", async ({ db, pg }) => {
    const src = tempDir("src-");
    const out = tempDir("out-");
    try {
      await pg.query(SCHEMA, [], db.name);
      const files = [odooFile(src.dir, "a"), odooFile(src.dir, "b"), odooFile(src.dir, "c")];
      chmodSync(path.join(src.dir, files[0]!.fname), 0o644);
      await pg.query(
        `INSERT INTO ir_attachment (name, mimetype, store_fname, checksum, file_size, public, res_model, res_field)
         SELECT 'f' || g, CASE WHEN g % 2 = 0 THEN 'image/png' ELSE 'application/pdf' END, ($1::text[])[(g % 3) + 1], 'x', 1, g % 5 = 0, 'product.template', 'image_1920'
           FROM generate_series(1, 4500) g`,
        [files.map((f) => f.fname)],
        db.name,
      );
      const targetDir = path.join(out.dir, "t");
      const events: RefreshEvent[] = [];
      const perms = { rootMode: 0o750, dirMode: 0o750, fileMode: 0o640, source: "test" };
      const r = await stageFilestore({ policy: "all", dbUrl: db.url, targetDir, source: { dir: src.dir }, perms, onEvent: (e) => events.push(e) });
      expect(r).toMatchObject({ ok: true, attachments: 4500, copied: 3, linked: 3 });
      // `all` counts distinct files
      expect(events.filter((e) => e.type === "refresh:progress").map((e) => [(e as { done: number }).done, (e as { total: number }).total])).toEqual([[0, 3], [3, 3]]);
      expect(statSync(targetDir).mode & 0o777).toBe(0o750);
      expect(statSync(path.join(targetDir, files[0]!.fname)).mode & 0o777).toBe(0o644); // the source's inode, untouched

      const out2 = path.join(out.dir, "t2");
      events.length = 0;
      const p = await stageFilestore({ policy: "placeholders", dbUrl: db.url, targetDir: out2, perms, onEvent: (e) => events.push(e) });
      expect(p).toMatchObject({ placeholders: 4500, placeholderFiles: 2 });
      // row by row, in pages of 2000
      expect(events.filter((e) => e.type === "refresh:progress").map((e) => (e as { done: number }).done)).toEqual([0, 2000, 4000, 4500]);
      for (const f of filesUnder(out2).values()) expect(statSync(f).mode & 0o777).toBe(0o640);
      for (const d of readdirSync(out2)) expect(statSync(path.join(out2, d)).mode & 0o777).toBe(0o750);
      expectFilesOfRows(out2, await fileRows(pg, db.name));
    } finally {
      src.cleanup();
      out.cleanup();
    }
  });

  test("an abort mid-way (files written, rows updated) leaves no target directory and the database as it was", async ({ db, pg }) => {
    const src = tempDir("src-");
    const out = tempDir("out-");
    try {
      await smallOdoo(pg, db.name, src.dir);
      const image = await tableImage(pg, db.name);
      const ac = new AbortController();
      const targetDir = path.join(out.dir, "t");
      await expect(
        stageFilestore({ policy: "placeholders", dbUrl: db.url, targetDir, signal: ac.signal, onEvent: (e) => e.type === "refresh:progress" && e.done > 0 && ac.abort() }),
      ).rejects.toMatchObject({ name: "AbortedError" });
      expect(existsSync(targetDir)).toBe(false);
      expect(await tableImage(pg, db.name)).toBe(image);
    } finally {
      src.cleanup();
      out.cleanup();
    }
  });

  test("refuses an existing target, a missing source, a relative path, an unknown policy, a database without ir_attachment", async ({ db, pg }) => {
    const out = tempDir("out-");
    try {
      await expect(stageFilestore({ policy: "placeholders", dbUrl: db.url, targetDir: out.dir })).rejects.toMatchObject({ code: "NOT_ODOO_DATABASE" });
      await pg.query(SCHEMA, [], db.name);
      await expect(stageFilestore({ policy: "placeholders", dbUrl: db.url, targetDir: out.dir })).rejects.toMatchObject({ name: "UsageError", code: "TARGET_EXISTS" });
      expect(existsSync(out.dir)).toBe(true); // not ours: left alone
      await expect(stageFilestore({ policy: "all", dbUrl: db.url, targetDir: path.join(out.dir, "t") })).rejects.toMatchObject({ code: "SOURCE_FILESTORE_REQUIRED" });
      await expect(stageFilestore({ policy: "all", dbUrl: db.url, targetDir: path.join(out.dir, "t"), source: { dir: path.join(out.dir, "nope") } })).rejects.toMatchObject({ code: "SOURCE_FILESTORE_NOT_FOUND" });
      await expect(stageFilestore({ policy: "placeholders", dbUrl: db.url, targetDir: "rel/t" })).rejects.toMatchObject({ code: "BAD_FILESTORE_PATH" });
      await expect(stageFilestore({ policy: "some" as "all", dbUrl: db.url, targetDir: path.join(out.dir, "t") })).rejects.toMatchObject({ code: "BAD_FILESTORE_POLICY" });
      expect(readdirSync(out.dir)).toEqual([]);
    } finally {
      out.cleanup();
    }
  });

  test("all through an SSH runner: each file streamed from the far side; a missing one counted", async ({ db, pg, sshd }) => {
    const src = tempDir("src-");
    const out = tempDir("out-");
    const runner = createSshRunner({ host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, knownHostsPath: sshd.knownHostsPath });
    try {
      const f = await smallOdoo(pg, db.name, src.dir);
      // readable by the unprivileged SSH user
      for (const d of [src.dir, ...readdirSync(src.dir).map((x) => path.join(src.dir, x))]) chmodSync(d, 0o755);
      for (const p of filesUnder(src.dir).values()) chmodSync(p, 0o644);
      const targetDir = path.join(out.dir, "t");
      const r = await stageFilestore({ policy: "all", dbUrl: db.url, targetDir, source: { dir: src.dir, runner } });
      expect(r).toMatchObject({ ok: true, copied: 4, linked: 0, missing: 2, unsafeNames: 1 });
      for (const x of [f.photo, f.contract, f.logo, f.bundle]) {
        const p = path.join(targetDir, x.fname);
        expect(readFileSync(p).equals(readFileSync(path.join(src.dir, x.fname)))).toBe(true);
        expect(inode(p)).not.toBe(inode(path.join(src.dir, x.fname)));
      }
    } finally {
      await runner.close();
      src.cleanup();
      out.cleanup();
    }
  }, 60_000);
});

// (Over 300 lines: the four policies share one walk of the attachments, one target directory and one row update;
// split, each would repeat them. The placeholder files themselves are placeholders.ts's.)
/**
 * The staging copy's filestore, by policy: which files of the new database's attachments are written, and from
 * where. Runs on the new (already anonymized) database before the swap; the files go into a fresh directory the
 * caller renames into place, and the `ir_attachment` rows are updated in one transaction, so an interrupted run
 * leaves neither a half-updated database nor a half-written directory.
 */
import { constants as fsConstants, createWriteStream } from "node:fs";
import { chmod, chown, copyFile, link, lstat, mkdir, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import {
  AbortedError,
  connect,
  OperationFailedError,
  UsageError,
  throwIfAborted,
  type Check,
} from "@odoo-deploy/core/base";
import { copyFromRunner, type CommandRunner, type FilestorePerms } from "@odoo-deploy/core";
import { placeholderFor, type Placeholder } from "./placeholders.js";
import { FILESTORE_POLICIES, type RefreshEvent, type StageFilestoreOptions, type StageFilestoreReport } from "./types.js";

/** Rows read per page (keyset on id: memory stays flat on databases with millions of attachments). */
const PAGE = 2000;
/** At most this many missing file names are listed in the report. */
const MISSING_LISTED = 20;

/**
 * Odoo's generated asset bundles — the exact domain of `ir.attachment.regenerate_assets_bundles` in 16.0, 17.0
 * and 18.0 (public, url `=like '/web/assets/%'`, res_model `ir.ui.view`, res_id 0, created by the superuser).
 * Staging regenerates them on first request; kept, they would point at files the policy may not have written.
 */
const ASSET_BUNDLES = `public AND url LIKE '/web/assets/%' AND res_model = 'ir.ui.view' AND coalesce(res_id, 0) = 0 AND create_uid = 1`;

/** Image fields of the product models (website shop, portal): `image_1920`…`image_128`, `image_variant_*`. */
const PRODUCT_MODELS = new Set(["product.template", "product.product", "product.image", "product.public.category"]);

interface AttachmentRow {
  id: number;
  store_fname: string | null;
  mimetype: string | null;
  name: string | null;
  res_model: string | null;
  res_field: string | null;
  public: boolean | null;
  in_db: boolean;
}

/**
 * Writes the new staging's filestore into `targetDir` by policy and points the new database's attachments at it.
 *
 * - `placeholders` (default): every attachment with content (a filestore file, or `db_datas`) gets a small valid
 *   file of its type (see `placeholderFor`): one file per kind under its own sha1, the rows' `store_fname`,
 *   `checksum` and `file_size` updated (`mimetype` kept), as Odoo's dedup would. No source is read: no
 *   original byte reaches staging.
 * - `public`: the originals of public attachments (`public = true`), of product images (`image*` fields of
 *   product.template / product.product / product.image / product.public.category) and of the `website*`
 *   models' fields; every other attachment a placeholder.
 * - `all`: every referenced file: a hard link when the source is local and on the same filesystem (Odoo's files
 *   are write-once, so sharing the inode is safe), else a copy; with a non-local `source.runner`, each file is
 *   streamed through it (`cat` on the far side, core's copyFromRunner), one process per file.
 * - `none`: no file is written and the rows are left as they are, so Odoo shows those attachments as missing
 *   (empty images, "file not found" downloads) but works; the referenced files are counted in `missing`.
 *   Attachments stored in the database are emptied (`db_datas` cleared, counted in
 *   `databaseAttachmentsCleared`): `none` means the staging copy holds no attachment content at all.
 *
 * For every policy, Odoo's generated asset bundles are deleted (staging regenerates them). A referenced file the
 * source lacks is counted in `missing` and its row kept: not fatal, production has it missing too.
 *
 * Progress: `refresh:progress` events (phase `filestore`, unit `files`) counting attachments, or distinct files
 * under `all`; a `refresh:warning` when files are missing. Values read from the database are only ever used as
 * query parameters or, once checked to be plain relative names, as paths below the two directories — never in a
 * shell (the runner gets argv).
 *
 * `targetDir` must not exist; it is created mode 0700 (or `perms.rootMode` once complete). On any failure or abort
 * the transaction is rolled back and `targetDir` is removed again: the caller finds either a complete
 * directory with a committed database, or no directory and an unchanged database.
 *
 * @example
 * const r = await stageFilestore({ policy: "placeholders", dbUrl: newStagingUrl, targetDir: "/var/lib/odoo/filestore/staging.partial" });
 */
export async function stageFilestore(options: StageFilestoreOptions): Promise<StageFilestoreReport> {
  const began = performance.now();
  const { policy, signal } = options;
  if (!FILESTORE_POLICIES.includes(policy)) {
    throw new UsageError(`unknown filestore policy ${JSON.stringify(policy)} (one of ${FILESTORE_POLICIES.join(", ")})`, { code: "BAD_FILESTORE_POLICY" });
  }
  const targetDir = checkedAbsolute(options.targetDir, "targetDir");
  const needsSource = policy === "public" || policy === "all";
  if (needsSource && !options.source) throw new UsageError(`the ${policy} filestore policy needs the source filestore (source.dir)`, { code: "SOURCE_FILESTORE_REQUIRED" });
  const sourceDir = options.source ? checkedAbsolute(options.source.dir, "source.dir") : undefined;
  const runner = options.source?.runner && options.source.runner.kind !== "local" ? options.source.runner : undefined;
  throwIfAborted(signal);

  const report: StageFilestoreReport = {
    ok: true,
    durationMs: 0,
    policy,
    checks: [],
    files: 0,
    bytes: 0,
    placeholders: 0,
    placeholderFiles: 0,
    copied: 0,
    linked: 0,
    databaseAttachmentsReplaced: 0,
    databaseAttachmentsCleared: 0,
    attachments: 0,
    assetBundlesRemoved: 0,
    missing: 0,
    missingFiles: [],
    unsafeNames: 0,
  };
  const emit = (e: RefreshEvent) => options.onEvent?.(e);
  const check = (name: string, status: Check["status"], detail: string, since: number) =>
    report.checks.push({ name, status, detail, durationMs: Math.round(performance.now() - since) });

  const client = await connect(options.dbUrl, { applicationName: "odoo-deploy stage-filestore", ...(signal ? { signal } : {}) });
  let created = false;
  let inTransaction = false;
  try {
    let t = performance.now();
    await assertAttachmentTable(client);
    if (needsSource && sourceDir) await assertSourceDir(sourceDir, runner, signal);
    try {
      await mkdir(targetDir, { mode: 0o700 });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "EEXIST") throw new UsageError(`${targetDir} already exists: stageFilestore writes a new directory only`, { code: "TARGET_EXISTS" });
      if (code === "ENOENT") throw new UsageError(`the parent directory of ${targetDir} does not exist`, { code: "TARGET_PARENT_MISSING" });
      throw e;
    }
    created = true;
    await chmod(targetDir, 0o700); // mkdir's mode is cut by the umask; be exact
    check("target", "ok", `${targetDir} created (mode 0700)`, t);

    await client.query("BEGIN");
    inTransaction = true;

    t = performance.now();
    const removed = await client.query(`DELETE FROM ir_attachment WHERE ${ASSET_BUNDLES}`);
    report.assetBundlesRemoved = removed.rowCount ?? 0;
    check("asset-bundles", "ok", `${report.assetBundlesRemoved} generated asset bundles removed (staging regenerates them)`, t);

    t = performance.now();
    const writer = new TargetWriter(targetDir, options.perms, report);
    const missing = new Set<string>();
    const ctx: Stage = {
      client,
      report,
      writer,
      source: sourceDir ? new SourceFiles(sourceDir, runner, writer, report, signal) : undefined,
      policy,
      signal,
      noteMissing: (fname) => {
        if (missing.has(fname)) return;
        missing.add(fname);
        if (report.missingFiles.length < MISSING_LISTED) report.missingFiles.push(fname);
      },
      progress: progressEmitter(emit),
    };
    report.attachments = Number((await client.query<{ n: string }>("SELECT count(*) AS n FROM ir_attachment WHERE store_fname IS NOT NULL OR db_datas IS NOT NULL")).rows[0]!.n);
    if (policy === "none") await stageNone(ctx);
    else if (policy === "all") await stageAll(ctx);
    else await stageByRow(ctx);
    report.missing = policy === "none" ? report.missing : missing.size;
    check(
      "attachments",
      "ok",
      `${report.attachments} attachments with content: ${report.placeholders} set to ${report.placeholderFiles} placeholder files, ${report.copied} original files (${report.linked} hard links)` +
        `, ${report.databaseAttachmentsReplaced} stored in the database replaced, ${report.databaseAttachmentsCleared} cleared`,
      t,
    );
    if (policy === "none") {
      check("missing", "ok", `policy none: the ${report.missing} referenced files are not written (Odoo shows them as missing)`, t);
    } else if (report.missing > 0) {
      const unsafe = report.unsafeNames > 0 ? ` (${report.unsafeNames} with a store_fname that is not a plain relative path, refused)` : "";
      check("missing", "ok", `${report.missing} referenced files absent from the source${unsafe}, kept as missing: ${report.missingFiles.join(", ")}`, t);
      emit({ type: "refresh:warning", message: `${report.missing} files referenced by ir_attachment are missing from the source filestore` });
    }

    throwIfAborted(signal);
    await client.query("COMMIT");
    inTransaction = false;
    await writer.finish();
    report.durationMs = Math.round(performance.now() - began);
    return report;
  } catch (e) {
    if (inTransaction) await client.query("ROLLBACK").catch(() => {});
    if (created) await rm(targetDir, { recursive: true, force: true }).catch(() => {});
    if (signal?.aborted && !(e instanceof AbortedError)) throw new AbortedError("staging the filestore aborted", { cause: e });
    throw e;
  } finally {
    await client.end().catch(() => {});
  }
}

/** What the three ways of staging share. */
interface Stage {
  client: pg.Client;
  report: StageFilestoreReport;
  writer: TargetWriter;
  source: SourceFiles | undefined;
  policy: StageFilestoreOptions["policy"];
  signal: AbortSignal | undefined;
  noteMissing: (fname: string) => void;
  progress: (done: number, total: number) => void;
}

function progressEmitter(emit: (e: RefreshEvent) => void): (done: number, total: number) => void {
  const began = performance.now();
  return (done, total) => {
    const secs = (performance.now() - began) / 1000;
    emit({ type: "refresh:progress", phase: "filestore", done, total, unit: "files", ...(done > 0 && secs > 0 ? { perSec: Math.round(done / secs) } : {}) });
  };
}

/**
 * `none`: nothing to write; the referenced files are counted by the database (distinct names), and the contents
 * stored in the database are emptied in one statement.
 */
async function stageNone(s: Stage): Promise<void> {
  const { client, report } = s;
  s.progress(0, report.attachments);
  report.missing = Number((await client.query<{ n: string }>("SELECT count(DISTINCT store_fname) AS n FROM ir_attachment WHERE store_fname IS NOT NULL")).rows[0]!.n);
  report.missingFiles = (await client.query<{ f: string }>("SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY 1 LIMIT $1", [MISSING_LISTED])).rows.map((r) => r.f);
  const cleared = await client.query(
    `UPDATE ir_attachment SET db_datas = NULL,
            checksum = CASE WHEN store_fname IS NULL THEN NULL ELSE checksum END,
            file_size = CASE WHEN store_fname IS NULL THEN 0 ELSE file_size END
      WHERE db_datas IS NOT NULL`,
  );
  report.databaseAttachmentsCleared = cleared.rowCount ?? 0;
  s.progress(report.attachments, report.attachments);
}

/**
 * `all`: the rows stay as they are; each distinct file name once, read in name order by keyset (store_fname is
 * indexed by Odoo), so no set of a million names is held here. Progress counts files.
 */
async function stageAll(s: Stage): Promise<void> {
  const { client } = s;
  const total = Number((await client.query<{ n: string }>("SELECT count(DISTINCT store_fname) AS n FROM ir_attachment WHERE store_fname IS NOT NULL")).rows[0]!.n);
  s.progress(0, total);
  let last = "";
  let done = 0;
  for (;;) {
    throwIfAborted(s.signal);
    const names = (await client.query<{ f: string }>(
      "SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname IS NOT NULL AND store_fname > $1 ORDER BY 1 LIMIT $2",
      [last, PAGE],
    )).rows.map((r) => r.f);
    if (names.length === 0) break;
    last = names[names.length - 1]!;
    for (const fname of await s.source!.bring(names, { distinct: true })) s.noteMissing(fname);
    done += names.length;
    s.progress(done, total);
  }
}

/** `placeholders` and `public`: row by row (keyset on id), each page's rows grouped into one UPDATE per outcome. */
async function stageByRow(s: Stage): Promise<void> {
  const { client, report, writer } = s;
  const total = report.attachments;
  let lastId = 0;
  let done = 0;
  s.progress(0, total);
  for (;;) {
    throwIfAborted(s.signal);
    const rows = (await client.query<AttachmentRow>(
      `SELECT id, store_fname, mimetype, name, res_model, res_field, public, db_datas IS NOT NULL AS in_db
         FROM ir_attachment WHERE id > $1 AND (store_fname IS NOT NULL OR db_datas IS NOT NULL) ORDER BY id LIMIT $2`,
      [lastId, PAGE],
    )).rows;
    if (rows.length === 0) break;
    lastId = rows[rows.length - 1]!.id;
    const toFilePlaceholder = new Map<Placeholder, number[]>();
    const toDbPlaceholder = new Map<Placeholder, number[]>();
    const originals = new Set<string>();
    for (const row of rows) {
      const keep = s.policy === "public" && isPublicContent(row);
      const placeholder = () => placeholderFor({ mimetype: row.mimetype, name: row.name, resModel: row.res_model });
      if (row.store_fname !== null) {
        if (keep) originals.add(row.store_fname);
        else push(toFilePlaceholder, placeholder(), row.id);
      } else if (row.in_db && !keep) {
        push(toDbPlaceholder, placeholder(), row.id);
      }
    }
    for (const [p, ids] of toFilePlaceholder) {
      await writer.placeholder(p);
      // db_datas too: a row with both (not written by Odoo, but possible) must not keep its original bytes.
      await client.query("UPDATE ir_attachment SET store_fname = $1, checksum = $2, file_size = $3, db_datas = NULL WHERE id = ANY($4::int[])", [p.storeFname, p.sha1, p.bytes.length, ids]);
      report.placeholders += ids.length;
    }
    for (const [p, ids] of toDbPlaceholder) {
      await client.query("UPDATE ir_attachment SET db_datas = $1, checksum = $2, file_size = $3 WHERE id = ANY($4::int[])", [p.bytes, p.sha1, p.bytes.length, ids]);
      report.databaseAttachmentsReplaced += ids.length;
    }
    if (originals.size > 0) for (const fname of await s.source!.bring([...originals])) s.noteMissing(fname);
    done += rows.length;
    s.progress(done, total);
  }
}

/** Files whose originals the `public` policy copies: what Odoo serves to anyone anyway. */
function isPublicContent(row: AttachmentRow): boolean {
  if (row.public === true) return true;
  const model = row.res_model ?? "";
  const field = row.res_field ?? "";
  if (PRODUCT_MODELS.has(model) && field.startsWith("image")) return true;
  return (model === "website" || model.startsWith("website.")) && field !== "";
}

function push<K>(m: Map<K, number[]>, k: K, id: number): void {
  const a = m.get(k);
  if (a) a.push(id);
  else m.set(k, [id]);
}

function checkedAbsolute(p: string, what: string): string {
  if (!path.isAbsolute(p) || path.normalize(p) !== p.replace(/\/+$/, "") || p === "/") {
    throw new UsageError(`${what} must be an absolute, normalised path: ${JSON.stringify(p)}`, { code: "BAD_FILESTORE_PATH" });
  }
  return p.replace(/\/+$/, "");
}

/** A store_fname used as a path: relative segments of letters, digits, `_` and `-` only (Odoo's are `ab/ab12…`). */
function safeStoreFname(fname: string): boolean {
  return /^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+){0,3}$/.test(fname);
}

async function assertAttachmentTable(client: pg.Client): Promise<void> {
  const cols = (await client.query<{ attname: string }>(
    `SELECT a.attname FROM pg_attribute a WHERE a.attrelid = to_regclass('ir_attachment') AND a.attnum > 0 AND NOT a.attisdropped`,
  )).rows.map((r) => r.attname);
  const needed = ["id", "store_fname", "checksum", "file_size", "mimetype", "name", "res_model", "res_field", "res_id", "public", "url", "db_datas", "create_uid"];
  const absent = needed.filter((c) => !cols.includes(c));
  if (cols.length === 0) throw new UsageError("the database has no ir_attachment table: not an Odoo database", { code: "NOT_ODOO_DATABASE" });
  if (absent.length > 0) throw new UsageError(`ir_attachment lacks the columns ${absent.join(", ")}: not an Odoo 16–18 database`, { code: "NOT_ODOO_DATABASE" });
}

async function assertSourceDir(dir: string, runner: CommandRunner | undefined, signal?: AbortSignal): Promise<void> {
  if (runner) {
    const r = await runner.exec(["test", "-d", dir], signal ? { signal } : {});
    if (r.exitCode !== 0) throw new UsageError(`source filestore ${dir} not found on ${runner.description}`, { code: "SOURCE_FILESTORE_NOT_FOUND" });
    return;
  }
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`source filestore ${dir} not found`, { code: "SOURCE_FILESTORE_NOT_FOUND" });
}

/** Writes into the target directory: its `<2 hex>` directories, placeholders once each, owner and modes. */
class TargetWriter {
  private readonly dirs = new Set<string>();
  private readonly placeholders = new Map<string, Promise<void>>();
  readonly fileMode: number;
  private readonly dirMode: number;

  constructor(
    readonly root: string,
    private readonly perms: FilestorePerms | undefined,
    private readonly report: StageFilestoreReport,
  ) {
    this.fileMode = perms?.fileMode ?? 0o600;
    this.dirMode = perms?.dirMode ?? 0o700;
  }

  /** The absolute target path of a store_fname, its directory made. */
  async pathFor(fname: string): Promise<string> {
    const abs = path.join(this.root, fname);
    const dir = path.dirname(abs);
    if (!this.dirs.has(dir)) {
      await mkdir(dir, { recursive: true, mode: this.dirMode });
      await this.own(dir, this.dirMode);
      this.dirs.add(dir);
    }
    return abs;
  }

  placeholder(p: Placeholder): Promise<void> {
    let w = this.placeholders.get(p.storeFname);
    if (!w) {
      w = (async () => {
        const abs = await this.pathFor(p.storeFname);
        try {
          await writeFile(abs, p.bytes, { flag: "wx", mode: this.fileMode });
        } catch (e) {
          // An original with the very same bytes was already brought (`public`): it is this placeholder.
          if ((e as NodeJS.ErrnoException).code === "EEXIST") return;
          throw e;
        }
        await this.own(abs, this.fileMode);
        this.report.files += 1;
        this.report.bytes += p.bytes.length;
        this.report.placeholderFiles += 1;
      })();
      this.placeholders.set(p.storeFname, w);
    }
    return w;
  }

  /** Owner and mode of something this run created (never of a hard link: its inode is production's). */
  async own(p: string, mode: number): Promise<void> {
    await chmod(p, mode);
    if (this.perms?.uid !== undefined && this.perms.gid !== undefined) await chown(p, this.perms.uid, this.perms.gid);
  }

  async finish(): Promise<void> {
    if (this.perms) await this.own(this.root, this.perms.rootMode);
  }
}

/** Brings original files from the source filestore: hard link, local copy, or a stream through a runner. */
class SourceFiles {
  private readonly brought = new Set<string>();
  private linkable = true;

  constructor(
    private readonly dir: string,
    private readonly runner: CommandRunner | undefined,
    private readonly writer: TargetWriter,
    private readonly report: StageFilestoreReport,
    private readonly signal?: AbortSignal,
  ) {}

  /**
   * Brings the files not brought yet; returns those the source does not have. `distinct`: the caller guarantees
   * names never repeat across calls (then none is remembered).
   */
  async bring(fnames: string[], { distinct = false } = {}): Promise<string[]> {
    const todo = distinct ? fnames : fnames.filter((f) => !this.brought.has(f));
    if (!distinct) for (const f of todo) this.brought.add(f);
    const missing: string[] = [];
    // Local files: many at once (the kernel does the work); through a runner, a few processes at a time.
    await eachLimit(todo, this.runner ? 4 : 16, async (fname) => {
      throwIfAborted(this.signal);
      if (!safeStoreFname(fname)) {
        this.report.unsafeNames += 1;
        missing.push(fname);
        return;
      }
      const outcome = this.runner ? await this.stream(fname) : await this.local(fname);
      if (outcome === "missing") missing.push(fname);
    });
    return missing;
  }

  private async local(fname: string): Promise<"linked" | "copied" | "missing"> {
    const src = path.join(this.dir, fname);
    const st = await lstat(src).catch(() => undefined);
    // Only regular files: a symlink in a filestore is not Odoo's, and following it could bring anything.
    if (!st?.isFile()) return "missing";
    const dst = await this.writer.pathFor(fname);
    if (this.linkable) {
      try {
        await link(src, dst);
        this.count(st.size, true);
        return "linked";
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === "ENOENT") return "missing";
        if (code === "EEXIST") return "copied"; // the placeholder of the same bytes, written before
        // Another filesystem, or hard links refused (protected_hardlinks, a filesystem without them): copy.
        if (code !== "EXDEV" && code !== "EPERM" && code !== "EMLINK" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw e;
        this.linkable = false;
      }
    }
    try {
      await copyFile(src, dst, fsConstants.COPYFILE_EXCL);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT") return "missing";
      if (code === "EEXIST") return "copied";
      throw e;
    }
    await this.writer.own(dst, this.writer.fileMode);
    this.count(st.size, false);
    return "copied";
  }

  /** One file through the runner: `cat -- <path>` there, streamed into the target file here. */
  private async stream(fname: string): Promise<"copied" | "missing"> {
    const runner = this.runner!;
    const src = path.posix.join(this.dir, fname);
    const dst = await this.writer.pathFor(fname);
    const out = createWriteStream(dst, { flags: "wx", mode: this.writer.fileMode });
    try {
      const r = await copyFromRunner({ runner, path: src, destination: out, ...(this.signal ? { signal: this.signal } : {}) });
      await this.writer.own(dst, this.writer.fileMode);
      this.count(r.bytes, false);
      return "copied";
    } catch (e) {
      out.destroy();
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return "copied";
      await rm(dst, { force: true });
      if (this.signal?.aborted) throw e;
      // Tell a file the source lacks from a transport failure: only the former is "missing".
      const t = await runner.exec(["test", "-f", src]);
      if (t.exitCode === 1) return "missing";
      throw new OperationFailedError(`copying ${src} from ${runner.description} failed: ${(e as Error).message}`, { code: "FILESTORE_COPY_FAILED", cause: e });
    }
  }

  private count(bytes: number, linked: boolean): void {
    this.report.files += 1;
    this.report.bytes += bytes;
    this.report.copied += 1;
    if (linked) this.report.linked += 1;
  }
}

/**
 * Runs `fn` over the items, `limit` at a time. After a failure no new item starts, and it waits for the running
 * ones before throwing: none may still write into the target directory while the caller removes it.
 */
async function eachLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      try {
        await fn(items[next++]!);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
}

/**
 * The Odoo filestore (`<data_dir>/filestore/<db>/<2 hex>/<sha1>`) as a streamed tar archive: packing a
 * directory without holding it in memory, reading an archive back (names, sizes, content sha1), and writing a
 * restored one through the same entry check, with the owner and modes of the filestore it replaces.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { chmod, chown, lstat, mkdir, open, readdir, stat, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Transform, Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { OperationFailedError, UsageError } from "../errors.js";
import { fsyncPath } from "../util/durable-files.js";
import { failpoint } from "../util/failpoint.js";

/** A file of the filestore, relative to its root (`02/027bb5…`). */
export interface FilestoreFile {
  name: string;
  absPath: string;
  bytes: number;
  mode: number;
  mtime: Date;
}

/**
 * Lists the regular files under a filestore directory, sorted, with `/`-separated relative names.
 * Symbolic links are not followed (Odoo never creates them; following them could archive the whole disk).
 *
 * @example const files = await listFilestore("/var/lib/odoo/filestore/prod");
 */
export async function listFilestore(root: string): Promise<FilestoreFile[]> {
  const st = await lstat(root).catch(() => undefined);
  if (!st?.isDirectory()) throw new UsageError(`filestore directory not found: ${root}`, { code: "FILESTORE_NOT_FOUND" });
  const out: FilestoreFile[] = [];
  const walk = async (dir: string, rel: string) => {
    const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const abs = path.join(dir, e.name);
      const name = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(abs, name);
      else if (e.isFile()) {
        const s = await lstat(abs);
        out.push({ name, absPath: abs, bytes: s.size, mode: s.mode & 0o777, mtime: s.mtime });
      }
    }
  };
  await walk(root, "");
  return out;
}

/**
 * A tar stream of the given files, produced one file at a time as the consumer reads.
 *
 * @example await pipeline(packFilestore(await listFilestore(dir)), createWriteStream("filestore.tar"));
 */
export function packFilestore(files: FilestoreFile[], signal?: AbortSignal): Readable {
  const pack = tar.pack();
  void (async () => {
    try {
      for (const f of files) {
        if (signal?.aborted) throw new Error("aborted");
        const entry = pack.entry({ name: f.name, size: f.bytes, mode: f.mode, mtime: f.mtime, type: "file" });
        await pipeline(createReadStream(f.absPath), entry);
      }
      pack.finalize();
    } catch (e) {
      pack.destroy(e as Error);
    }
  })();
  // tar-stream's streams are streamx streams; Node's pipeline accepts them as Readables.
  return pack as unknown as Readable;
}

/** What reading a filestore archive found. */
export interface FilestoreContents {
  /** Relative names of the regular files. */
  files: Set<string>;
  bytes: number;
  /** Files named by a sha1 (as Odoo names them) whose content has another sha1: damaged. */
  contentMismatch: string[];
  /** Entries a restore would refuse, as `name: reason` (unsafe names, duplicates, links, devices). */
  refused: string[];
}

// Content files are `<2 hex>/<sha1>`; `checklist/<2 hex>/<sha1>` are Odoo's empty garbage-collection markers.
const SHA1_NAME = /^[0-9a-f]{2}\/([0-9a-f]{40})$/;

/** Normalizes an archive entry name: no leading `./`, no trailing `/`. @example normalizeEntryName("./02/ab") // "02/ab" */
export function normalizeEntryName(name: string): string {
  return name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
}

/** What an archive entry is, as far as a filestore is concerned. */
export type EntryKind = "file" | "directory" | "other";

/**
 * The one check of filestore archive entries, shared by `verify` and `restore` so that what one accepts the other
 * restores: names must be relative paths of ordinary components (no `..`, `.`, empty parts, backslashes, NUL or
 * parts over 255 bytes), only files and directories, no name twice, no file where another entry needs a
 * directory; a file named by a sha1 as Odoo names it must have that sha1.
 *
 * @example
 * const entries = new FilestoreEntries();
 * const name = entries.admit("./02/027b…", "file"); // undefined when refused (see entries.refused)
 */
export class FilestoreEntries implements FilestoreContents {
  readonly files = new Set<string>();
  bytes = 0;
  readonly contentMismatch: string[] = [];
  readonly refused: string[] = [];
  private readonly dirs = new Set<string>();

  /**
   * Admits an entry: its normalized name, or `undefined` with the reason recorded in {@link refused}. The root
   * directory entry (`./`) is admitted as `""`.
   */
  admit(rawName: string, kind: EntryKind): string | undefined {
    const name = normalizeEntryName(rawName);
    const refuse = (why: string) => {
      this.refused.push(`${JSON.stringify(rawName)}: ${why}`);
      return undefined;
    };
    if (kind === "directory" && (name === "" || name === ".")) return "";
    const bad = nameProblem(name);
    if (bad) return refuse(bad);
    if (kind === "other") return refuse("not a regular file or directory (links and devices have no place in a filestore)");
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) {
      const ancestor = parts.slice(0, i).join("/");
      if (this.files.has(ancestor)) return refuse(`${ancestor} is a file`);
    }
    if (kind === "directory") {
      if (this.files.has(name)) return refuse("a file of that name comes first");
    } else {
      if (this.files.has(name)) return refuse("the archive holds it twice");
      if (this.dirs.has(name)) return refuse("a directory of that name comes first");
      this.files.add(name);
    }
    for (let i = 1; i <= parts.length - (kind === "file" ? 1 : 0); i++) this.dirs.add(parts.slice(0, i).join("/"));
    return name;
  }

  /**
   * A check of an admitted file's content: feed it every chunk, then `end()` returns false (and records the
   * mismatch) when a sha1-named file's content has another sha1.
   */
  content(name: string): { update(chunk: Buffer): void; end(): boolean } {
    const expected = name.match(SHA1_NAME)?.[1];
    const hash = expected ? createHash("sha1") : undefined;
    return {
      update: (chunk) => {
        this.bytes += chunk.length;
        hash?.update(chunk);
      },
      end: () => {
        if (!hash || hash.digest("hex") === expected) return true;
        this.contentMismatch.push(name);
        return false;
      },
    };
  }
}

function nameProblem(name: string): string | undefined {
  if (!name) return "empty name";
  if (name.startsWith("/")) return "absolute path";
  if (/[\\\0]/.test(name)) return "backslash or NUL in the name";
  for (const part of name.split("/")) {
    if (part === "" || part === "." || part === "..") return "a path component is empty, . or ..";
    if (Buffer.byteLength(part) > 255) return "a path component is longer than 255 bytes";
  }
  return undefined;
}

/** The kind of a tar entry. */
function tarKind(type: string | null | undefined): EntryKind {
  if (type === "file" || type === "contiguous-file") return "file";
  if (type === "directory") return "directory";
  return "other";
}

/**
 * Reads every byte of a tar stream through the shared entry check ({@link FilestoreEntries}): names, total size,
 * sha1 of sha1-named files, refused entries. Throws when the archive is unreadable (truncated, corrupt header).
 *
 * @example const c = await readFilestoreTar(createReadStream("filestore.tar"));
 */
export async function readFilestoreTar(source: Readable, signal?: AbortSignal): Promise<FilestoreContents> {
  const extract = tar.extract();
  const entries = new FilestoreEntries();
  const feeding = pipeline(source, extract, { signal });
  const reading = (async () => {
    for await (const entry of extract) {
      const name = entries.admit(entry.header.name, tarKind(entry.header.type));
      if (name === undefined || tarKind(entry.header.type) !== "file") {
        entry.resume();
        continue;
      }
      const check = entries.content(name);
      for await (const chunk of entry as unknown as AsyncIterable<Buffer>) check.update(chunk);
      check.end();
    }
  })();
  await Promise.all([feeding, reading]);
  return entries;
}

/** Owner and modes a restored filestore gets. */
export interface FilestorePerms {
  /** Set when running as root: the owner of what is replaced (or of the parent directory). */
  uid?: number;
  gid?: number;
  rootMode: number;
  dirMode: number;
  fileMode: number;
  /** Where they were taken from, for the report. */
  source: string;
}

/**
 * The owner and modes of the filestore a restore replaces — its root, one of its directories and one of its files
 * — so the Odoo server, running as its own user, reads the restored one as it read the old one. With nothing to
 * replace, the parent directory's owner and mode (files without the execute bits). The owner is only given when
 * running as root (nobody else may give files away).
 *
 * @example const perms = await filestorePerms("/var/lib/odoo/filestore/prod");
 */
export async function filestorePerms(replaced: string): Promise<FilestorePerms> {
  const root = await stat(replaced).catch(() => undefined);
  const asRoot = process.getuid?.() === 0;
  if (root?.isDirectory()) {
    let dirMode: number | undefined;
    let fileMode: number | undefined;
    // A few directories are enough: Odoo makes them all alike. The filestore may be renamed away meanwhile (another
    // restore swapping it): what vanished is skipped, and the root's own modes stand in.
    const gone = () => undefined;
    for (const e of ((await readdir(replaced, { withFileTypes: true }).catch(gone)) ?? []).slice(0, 64)) {
      const p = path.join(replaced, e.name);
      if (e.isFile() && fileMode === undefined) fileMode = (await lstat(p).catch(gone))?.mode;
      if (e.isDirectory()) {
        dirMode ??= (await lstat(p).catch(gone))?.mode;
        if (fileMode === undefined) {
          const f = ((await readdir(p, { withFileTypes: true }).catch(gone)) ?? []).find((x) => x.isFile());
          if (f) fileMode = (await lstat(path.join(p, f.name)).catch(gone))?.mode;
        }
      }
      if (dirMode !== undefined && fileMode !== undefined) break;
    }
    if (dirMode !== undefined) dirMode &= 0o7777;
    if (fileMode !== undefined) fileMode &= 0o7777;
    const rootMode = root.mode & 0o7777;
    return {
      ...(asRoot ? { uid: root.uid, gid: root.gid } : {}),
      rootMode,
      dirMode: dirMode ?? rootMode,
      fileMode: fileMode ?? (dirMode ?? rootMode) & 0o666,
      source: `the replaced filestore ${replaced}`,
    };
  }
  // The parent may not exist yet (the restore makes it): the nearest directory that does.
  let parent = path.dirname(replaced);
  let p = await stat(parent).catch(() => undefined);
  while (!p && path.dirname(parent) !== parent) {
    parent = path.dirname(parent);
    p = await stat(parent).catch(() => undefined);
  }
  if (!p) throw new UsageError(`no directory above ${replaced} exists`, { code: "FILESTORE_NOT_FOUND" });
  const mode = p.mode & 0o7777 & ~0o7000;
  return { ...(asRoot ? { uid: p.uid, gid: p.gid } : {}), rootMode: mode, dirMode: mode, fileMode: mode & 0o666, source: `the directory above it, ${parent}` };
}

/** Options of {@link FilestoreWriter}. */
export interface FilestoreWriterOptions {
  perms?: FilestorePerms;
  signal?: AbortSignal;
}

/**
 * Writes checked entries into a new filestore directory `dest` (created 0700 until {@link finish}): each file is
 * hashed as it is written (a sha1-named file whose content differs is refused), given the target's owner and mode,
 * and fsynced; `finish` fsyncs the directories and gives the root its mode. Any refused entry throws
 * `OperationFailedError` (`FILESTORE_DAMAGED` or `FILESTORE_ENTRY_REFUSED`); the caller removes `dest`.
 *
 * @example
 * const w = await FilestoreWriter.create(dest, { perms });
 * await w.file("02/027b…", stream); await w.finish();
 */
export class FilestoreWriter {
  readonly entries = new FilestoreEntries();
  files = 0;
  private readonly madeDirs = new Set<string>();

  private constructor(
    readonly dest: string,
    private readonly o: FilestoreWriterOptions,
  ) {}

  static async create(dest: string, o: FilestoreWriterOptions = {}): Promise<FilestoreWriter> {
    await mkdir(dest, { mode: 0o700 });
    return new FilestoreWriter(dest, o);
  }

  /** Admits an entry (throws when refused); returns its name, or undefined for the root directory. */
  admit(rawName: string, kind: EntryKind): string | undefined {
    const name = this.entries.admit(rawName, kind);
    if (name === undefined) {
      throw new OperationFailedError(`the backup's filestore holds an entry a filestore cannot have: ${this.entries.refused.at(-1)}`, { code: "FILESTORE_ENTRY_REFUSED" });
    }
    return name || undefined;
  }

  /** Makes an admitted directory (and its parents) with the target's mode and owner. */
  async dir(name: string): Promise<void> {
    const parts = name.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join("/");
      if (this.madeDirs.has(rel)) continue;
      const p = path.join(this.dest, rel);
      await mkdir(p).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== "EEXIST") throw e;
      });
      await this.own(p, this.o.perms?.dirMode ?? 0o700);
      this.madeDirs.add(rel);
    }
  }

  /** Writes an admitted file from `content` (`wx`: never over another), checking its sha1 name. */
  async file(name: string, content: Readable): Promise<number> {
    const slash = name.lastIndexOf("/");
    if (slash > 0) await this.dir(name.slice(0, slash));
    const target = path.join(this.dest, name);
    const check = this.entries.content(name);
    const fh = await open(target, "wx", 0o600);
    let bytes = 0;
    try {
      const hashing = new Transform({
        transform(chunk: Buffer, _e, cb) {
          check.update(chunk);
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      // Written through the handle itself: it stays open for the mode, the owner and the fsync that follow.
      const out = new Writable({
        write: (chunk: Buffer, _e, cb) => void fh.write(chunk).then(() => cb(), cb),
      });
      await pipeline(content, hashing, out, { signal: this.o.signal });
      if (!check.end()) {
        throw new OperationFailedError(`the backup's filestore is damaged: ${name} does not have the sha1 its name says`, { code: "FILESTORE_DAMAGED" });
      }
      await this.own(fh, this.o.perms?.fileMode ?? 0o600);
      await fh.sync();
    } finally {
      await fh.close();
    }
    this.files++;
    if (this.files === 1) await failpoint("restore:filestore-file", this.o.signal);
    return bytes;
  }

  /** Fsyncs the directories, then gives the root its mode and owner. */
  async finish(): Promise<{ files: number; bytes: number }> {
    for (const rel of this.madeDirs) await fsyncPath(path.join(this.dest, rel));
    await this.own(this.dest, this.o.perms?.rootMode ?? 0o700);
    await fsyncPath(this.dest);
    return { files: this.files, bytes: this.entries.bytes };
  }

  private async own(p: string | FileHandle, mode: number): Promise<void> {
    const perms = this.o.perms;
    if (typeof p === "string") {
      if (perms?.uid !== undefined) await chown(p, perms.uid, perms.gid ?? -1);
      await chmod(p, mode);
    } else {
      if (perms?.uid !== undefined) await p.chown(perms.uid, perms.gid ?? -1);
      await p.chmod(mode);
    }
  }
}

/**
 * Extracts a filestore tar stream into `dest` (created, must not exist) through the shared entry check, as
 * {@link FilestoreWriter} writes. Throws on the first refused or damaged entry.
 *
 * @example await extractFilestoreTar(createReadStream("filestore.tar"), "/var/lib/odoo/filestore/.prod_restore.partial");
 */
export async function extractFilestoreTar(source: Readable, dest: string, o: FilestoreWriterOptions = {}): Promise<{ files: number; bytes: number }> {
  const writer = await FilestoreWriter.create(dest, o);
  const extract = tar.extract();
  const feeding = pipeline(source, extract, { signal: o.signal });
  const reading = (async () => {
    for await (const entry of extract) {
      const kind = tarKind(entry.header.type);
      const name = writer.admit(entry.header.name, kind);
      if (kind === "directory") {
        if (name) await writer.dir(name);
        entry.resume();
        continue;
      }
      await writer.file(name!, entry as unknown as Readable);
    }
  })();
  // Whichever fails first ends both: a refused entry must not leave the tar reader waiting.
  await Promise.all([feeding, reading.catch((e: unknown) => {
    extract.destroy(e as Error);
    throw e;
  })]);
  return writer.finish();
}

/**
 * The Odoo filestore (`<data_dir>/filestore/<db>/<2 hex>/<sha1>`) as a streamed tar archive: packing a
 * directory without holding it in memory, reading an archive back (names, sizes, content sha1) and
 * extracting it into a new directory.
 */
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { lstat, mkdir, readdir } from "node:fs/promises";
import path from "node:path";
import { Writable, type Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import tar from "tar-stream";
import { UsageError } from "../errors.js";

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
}

// Content files are `<2 hex>/<sha1>`; `checklist/<2 hex>/<sha1>` are Odoo's empty garbage-collection markers.
const SHA1_NAME = /^[0-9a-f]{2}\/([0-9a-f]{40})$/;

/** Normalizes an archive entry name: no leading `./`, no trailing `/`. @example normalizeEntryName("./02/ab") // "02/ab" */
export function normalizeEntryName(name: string): string {
  return name.replace(/^(\.\/)+/, "").replace(/\/+$/, "");
}

/**
 * Reads every byte of a tar stream: file names, total size, and for sha1-named files whether the content
 * matches the name. Throws when the archive is unreadable (truncated, corrupt header).
 *
 * @example const c = await readFilestoreTar(createReadStream("filestore.tar"));
 */
export async function readFilestoreTar(source: Readable, signal?: AbortSignal): Promise<FilestoreContents> {
  const extract = tar.extract();
  const result: FilestoreContents = { files: new Set(), bytes: 0, contentMismatch: [] };
  const feeding = pipeline(source, extract, { signal });
  const reading = (async () => {
    for await (const entry of extract) {
      const name = normalizeEntryName(entry.header.name);
      if (entry.header.type !== "file" && entry.header.type !== "contiguous-file") {
        entry.resume();
        continue;
      }
      await checkEntry(name, entry as unknown as AsyncIterable<Buffer>, result);
    }
  })();
  await Promise.all([feeding, reading]);
  return result;
}

/** Adds one file's bytes to `result`, checking sha1-named content. @example await checkEntry("02/027b…", entryStream, contents); */
export async function checkEntry(name: string, content: AsyncIterable<Buffer> | Iterable<Buffer>, result: FilestoreContents): Promise<void> {
  const expected = name.match(SHA1_NAME)?.[1];
  const hash = expected ? createHash("sha1") : undefined;
  for await (const chunk of content) {
    result.bytes += chunk.length;
    hash?.update(chunk);
  }
  result.files.add(name);
  if (hash && hash.digest("hex") !== expected) result.contentMismatch.push(name);
}

/**
 * Extracts a filestore tar stream into `dest` (created, must not exist). Refuses entries that would escape it.
 *
 * @example await extractFilestoreTar(createReadStream("filestore.tar"), "/var/lib/odoo/filestore/prod_restore");
 */
export async function extractFilestoreTar(source: Readable, dest: string, signal?: AbortSignal): Promise<{ files: number; bytes: number }> {
  await mkdir(dest, { recursive: false, mode: 0o700 });
  const extract = tar.extract();
  let files = 0;
  let bytes = 0;
  const feeding = pipeline(source, extract, { signal });
  const reading = (async () => {
    for await (const entry of extract) {
      if (entry.header.type !== "file" && entry.header.type !== "contiguous-file") {
        entry.resume();
        continue;
      }
      const target = safeJoin(dest, normalizeEntryName(entry.header.name));
      await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await pipeline(entry as unknown as Readable, countBytes((n) => (bytes += n)), createWriteStream(target, { mode: 0o600, flags: "wx" }));
      files++;
    }
  })();
  await Promise.all([feeding, reading]);
  return { files, bytes };
}

/** Writes one filestore file from a stream into `dest`, refusing names that escape it. @example await writeFilestoreFile(dest, "02/027b…", stream); */
export async function writeFilestoreFile(dest: string, name: string, content: Readable): Promise<number> {
  const target = safeJoin(dest, normalizeEntryName(name));
  await mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
  let bytes = 0;
  await pipeline(content, countBytes((n) => (bytes += n)), createWriteStream(target, { mode: 0o600, flags: "wx" }));
  return bytes;
}

function countBytes(add: (n: number) => void) {
  return async function* (src: AsyncIterable<unknown>) {
    for await (const c of src as AsyncIterable<Buffer>) {
      add(c.length);
      yield c;
    }
  };
}

/** `dest/name`, refusing absolute names and `..` components. @example safeJoin("/fs", "02/ab") // "/fs/02/ab" */
export function safeJoin(dest: string, name: string): string {
  if (!name || path.isAbsolute(name) || name.split("/").some((p) => p === ".." || p === "")) {
    throw new UsageError(`refusing archive entry outside the filestore: ${JSON.stringify(name)}`, { code: "UNSAFE_ARCHIVE_ENTRY" });
  }
  return path.join(dest, name);
}

/** A writable that discards everything. @example entry.pipe(discard()); */
export function discard(): Writable {
  return new Writable({ write: (_c, _e, cb) => cb() });
}

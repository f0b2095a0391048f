/**
 * Odoo's database-manager backup format: a zip holding `dump.sql` (plain pg_dump), `filestore/` (the
 * database's filestore tree) and `manifest.json`. Written streaming with yazl, read with yauzl, every entry's
 * CRC-32 checked (yauzl does not check it) wherever it is read: by verify and by restore alike.
 */
import { createHash } from "node:crypto";
import { Transform, type Readable } from "node:stream";
import zlib from "node:zlib";
import yauzl from "yauzl";
import { OperationFailedError, throwIfAborted } from "../errors.js";
import { FilestoreEntries, FilestoreWriter, type EntryKind, type FilestoreContents, type FilestoreWriterOptions } from "./filestore.js";
import type { BackupManifest } from "./types.js";

/** Names inside an Odoo backup zip. */
export const ZIP_DUMP = "dump.sql";
export const ZIP_MANIFEST = "manifest.json";
export const ZIP_FILESTORE_PREFIX = "filestore/";

const crc32: (data: Buffer, value?: number) => number = (zlib as unknown as { crc32: (d: Buffer, v?: number) => number }).crc32;

/** An open zip with its entries listed. Close it when done. */
export interface OpenZip {
  entries: yauzl.Entry[];
  find(name: string): yauzl.Entry | undefined;
  /** The entry's bytes, decompressed, size-checked and CRC-checked (the stream fails at its end on a mismatch). */
  open(entry: yauzl.Entry): Promise<Readable>;
  close(): void;
}

/**
 * Opens a zip and lists its entries (central directory). Refuses a zip naming one entry twice: which of the two
 * a reader takes is up to the reader.
 *
 * @example const z = await openZip("backup.zip"); try { z.find("dump.sql"); } finally { z.close(); }
 */
export async function openZip(file: string): Promise<OpenZip> {
  let zip: yauzl.ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true });
  } catch (e) {
    throw new OperationFailedError(`not a readable zip: ${file}: ${(e as Error).message}`, { code: "ZIP_UNREADABLE", cause: e });
  }
  const entries: yauzl.Entry[] = [];
  const seen = new Set<string>();
  try {
    for await (const e of zip.eachEntry()) {
      if (seen.has(e.fileName)) throw new OperationFailedError(`${file}: the zip holds ${JSON.stringify(e.fileName)} twice`, { code: "ZIP_DUPLICATE_ENTRY" });
      seen.add(e.fileName);
      entries.push(e);
    }
  } catch (e) {
    zip.close();
    if (e instanceof OperationFailedError) throw e;
    throw new OperationFailedError(`not a readable zip: ${file}: ${(e as Error).message}`, { code: "ZIP_UNREADABLE", cause: e });
  }
  return {
    entries,
    find: (name) => entries.find((e) => e.fileName === name),
    open: async (entry) => {
      const source = await zip.openReadStreamPromise(entry);
      const checked = crcCheck(entry);
      source.on("error", (e) => checked.destroy(e));
      // A small entry may be read (and its CRC judged) before its consumer attaches: the consumer still sees the
      // error (the stream is destroyed with it), it just must not be an unhandled 'error' event meanwhile.
      checked.on("error", () => {});
      return source.pipe(checked);
    },
    close: () => zip.close(),
  };
}

/** A pass-through computing CRC-32, failing at the end of the stream when it differs from the zip's record. */
function crcCheck(entry: yauzl.Entry): Transform {
  let crc = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      crc = crc32(chunk, crc);
      cb(null, chunk);
    },
    flush(cb) {
      cb(crc >>> 0 === entry.crc32 >>> 0 ? null : new OperationFailedError(`${entry.fileName}: CRC-32 mismatch (damaged zip entry)`, { code: "ZIP_CRC" }));
    },
  });
}

/** What a zip entry is: a directory (name ends with `/`), a symbolic link (Unix mode in its attributes) or a file. */
export function zipEntryKind(entry: yauzl.Entry): EntryKind {
  if (entry.fileName.endsWith("/")) return "directory";
  const type = (entry.externalFileAttributes >>> 16) & 0o170000;
  return type === 0 || type === 0o100000 ? "file" : type === 0o040000 ? "directory" : "other";
}

/**
 * Reads an entry to the end through `consume`; throws when its CRC-32 differs from the zip's record.
 *
 * @example await readEntryChecked(zip, zip.find("dump.sql")!, (chunk) => hash.update(chunk));
 */
export async function readEntryChecked(zip: OpenZip, entry: yauzl.Entry, consume: (chunk: Buffer) => void): Promise<void> {
  for await (const chunk of (await zip.open(entry)) as AsyncIterable<Buffer>) consume(chunk);
}

/**
 * Reads `manifest.json` of an Odoo zip; `undefined` when the zip has none (Odoo ignores it too).
 *
 * @example const m = await readZipManifest(zip);
 */
export async function readZipManifest(zip: OpenZip): Promise<BackupManifest | undefined> {
  const entry = zip.find(ZIP_MANIFEST);
  if (!entry) return undefined;
  const chunks: Buffer[] = [];
  await readEntryChecked(zip, entry, (c) => chunks.push(c));
  return JSON.parse(Buffer.concat(chunks).toString("utf8")) as BackupManifest;
}

/** What a full read of a zip found. */
export interface ZipReadResult {
  dumpSha256?: string;
  dumpBytes: number;
  filestore: FilestoreContents;
}

/**
 * Reads every entry of an Odoo zip (CRC-checked): `dump.sql` through `onDump`, filestore entries through the
 * check restore applies ({@link FilestoreEntries}).
 *
 * @example const r = await readZipFully(zip, (c) => scanner.push(c));
 */
export async function readZipFully(zip: OpenZip, onDump: (chunk: Buffer) => void, signal?: AbortSignal): Promise<ZipReadResult> {
  const filestore = new FilestoreEntries();
  let dumpSha256: string | undefined;
  let dumpBytes = 0;
  for (const entry of zip.entries) {
    if (signal?.aborted) throw signal.reason;
    const name = entry.fileName;
    if (name === ZIP_DUMP) {
      const h = createHash("sha256");
      await readEntryChecked(zip, entry, (c) => {
        h.update(c);
        dumpBytes += c.length;
        onDump(c);
      });
      dumpSha256 = h.digest("hex");
    } else if (name.startsWith(ZIP_FILESTORE_PREFIX)) {
      const kind = zipEntryKind(entry);
      const rel = filestore.admit(name.slice(ZIP_FILESTORE_PREFIX.length), kind);
      const check = rel && kind === "file" ? filestore.content(rel) : undefined;
      await readEntryChecked(zip, entry, (c) => check?.update(c));
      check?.end();
    } else {
      await readEntryChecked(zip, entry, () => {});
    }
  }
  return { ...(dumpSha256 ? { dumpSha256 } : {}), dumpBytes, filestore };
}

/**
 * Extracts the `filestore/` entries of an Odoo zip into `dest` (created, must not exist), CRC- and sha1-checked
 * through the shared entry check. Throws on the first refused or damaged entry.
 *
 * @example await extractFilestoreZip(zip, "/var/lib/odoo/filestore/.prod_restore.partial", { perms });
 */
export async function extractFilestoreZip(zip: OpenZip, dest: string, o: FilestoreWriterOptions = {}): Promise<{ files: number; bytes: number }> {
  const writer = await FilestoreWriter.create(dest, o);
  for (const entry of zip.entries) {
    throwIfAborted(o.signal);
    if (!entry.fileName.startsWith(ZIP_FILESTORE_PREFIX)) continue;
    const kind = zipEntryKind(entry);
    const name = writer.admit(entry.fileName.slice(ZIP_FILESTORE_PREFIX.length), kind);
    if (kind === "directory") {
      if (name) await writer.dir(name);
      continue;
    }
    await writer.file(name!, await zip.open(entry));
  }
  return writer.finish();
}

/**
 * Odoo's database-manager backup format: a zip holding `dump.sql` (plain pg_dump), `filestore/` (the
 * database's filestore tree) and `manifest.json`. Written streaming with yazl, read with yauzl, every entry's
 * CRC-32 checked (yauzl does not check it).
 */
import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import zlib from "node:zlib";
import yauzl from "yauzl";
import { OperationFailedError } from "../errors.js";
import { checkEntry, normalizeEntryName, type FilestoreContents } from "./filestore.js";
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
  /** The entry's bytes, decompressed, size-checked; CRC-32 is checked by {@link readEntryChecked}. */
  open(entry: yauzl.Entry): Promise<Readable>;
  close(): void;
}

/**
 * Opens a zip and lists its entries (central directory).
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
  for await (const e of zip.eachEntry()) entries.push(e);
  return {
    entries,
    find: (name) => entries.find((e) => e.fileName === name),
    open: (entry) => zip.openReadStreamPromise(entry),
    close: () => zip.close(),
  };
}

/**
 * Reads an entry to the end through `consume`, then checks its CRC-32 against the zip's record. Throws when
 * they differ.
 *
 * @example await readEntryChecked(zip, zip.find("dump.sql")!, (chunk) => hash.update(chunk));
 */
export async function readEntryChecked(zip: OpenZip, entry: yauzl.Entry, consume: (chunk: Buffer) => void): Promise<void> {
  const stream = await zip.open(entry);
  let crc = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    crc = crc32(chunk, crc);
    consume(chunk);
  }
  if (crc >>> 0 !== entry.crc32 >>> 0) {
    throw new OperationFailedError(`${entry.fileName}: CRC-32 mismatch (damaged zip entry)`, { code: "ZIP_CRC" });
  }
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
 * Reads every entry of an Odoo zip (CRC-checked): `dump.sql` through `onDump`, filestore files counted and,
 * for sha1-named files, their content compared with their name.
 *
 * @example const r = await readZipFully(zip, (c) => scanner.push(c));
 */
export async function readZipFully(zip: OpenZip, onDump: (chunk: Buffer) => void, signal?: AbortSignal): Promise<ZipReadResult> {
  const filestore: FilestoreContents = { files: new Set(), bytes: 0, contentMismatch: [] };
  let dumpSha256: string | undefined;
  let dumpBytes = 0;
  for (const entry of zip.entries) {
    if (signal?.aborted) throw signal.reason;
    const name = entry.fileName;
    if (name.endsWith("/")) continue;
    if (name === ZIP_DUMP) {
      const h = createHash("sha256");
      await readEntryChecked(zip, entry, (c) => {
        h.update(c);
        dumpBytes += c.length;
        onDump(c);
      });
      dumpSha256 = h.digest("hex");
    } else if (name.startsWith(ZIP_FILESTORE_PREFIX)) {
      const chunks: Buffer[] = [];
      await readEntryChecked(zip, entry, (c) => chunks.push(c));
      await checkEntry(normalizeEntryName(name.slice(ZIP_FILESTORE_PREFIX.length)), chunks, filestore);
    } else {
      await readEntryChecked(zip, entry, () => {});
    }
  }
  return { ...(dumpSha256 ? { dumpSha256 } : {}), dumpBytes, filestore };
}

/**
 * Backup manifests on disk and locating a backup's parts: a published backup is a directory holding
 * `manifest.json` and its data files; a bare Odoo zip (from Odoo's UI or click-odoo-backupdb) is accepted too.
 */
import { randomBytes } from "node:crypto";
import { readFile, rename, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.js";
import { fsyncPath } from "./files.js";
import type { BackupFormat, BackupManifest } from "./types.js";
import { openZip, readZipManifest } from "./zip.js";

/** File names inside a backup directory. */
export const MANIFEST_FILE = "manifest.json";
export const DUMP_FILE = "database.dump";
export const FILESTORE_FILE = "filestore.tar";

/** A backup found on disk. */
export interface LocatedBackup {
  /** The path given (directory or zip). */
  path: string;
  /** The backup directory; undefined for a bare zip. */
  dir?: string;
  format: BackupFormat;
  manifest?: BackupManifest;
  /** custom: the pg_dump archive. */
  dumpFile?: string;
  /** custom: the filestore tar, when one was archived. */
  filestoreFile?: string;
  /** zip: the zip file. */
  zipFile?: string;
}

/**
 * Reads `manifest.json` of a backup directory.
 *
 * @example const m = await readManifest("/backups/odoo_prod_20261127T093512Z");
 */
export async function readManifest(dir: string): Promise<BackupManifest> {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError(`not a backup: ${dir} has no readable ${MANIFEST_FILE}`, { code: "NOT_A_BACKUP", cause: e });
  }
  try {
    return JSON.parse(text) as BackupManifest;
  } catch (e) {
    throw new UsageError(`not a backup: ${file} is not valid JSON`, { code: "NOT_A_BACKUP", cause: e });
  }
}

/**
 * Writes `manifest.json` (mode 0600) under a temporary name, fsyncs it and renames it into place.
 *
 * @example await writeManifest(dir, manifest);
 */
export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  const tmp = path.join(dir, `.${MANIFEST_FILE}.${randomBytes(4).toString("hex")}`);
  await writeFile(tmp, `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600, flag: "wx" });
  await fsyncPath(tmp);
  await rename(tmp, path.join(dir, MANIFEST_FILE));
  await fsyncPath(dir);
}

/**
 * Finds a backup's parts from a path: a backup directory (custom or zip format) or a bare Odoo zip file.
 *
 * @example const b = await locateBackup("/backups/odoo_prod_20261127T093512Z");
 */
export async function locateBackup(p: string): Promise<LocatedBackup> {
  const st = await stat(p).catch(() => undefined);
  if (!st) throw new UsageError(`backup not found: ${p}`, { code: "BACKUP_NOT_FOUND" });
  if (st.isFile()) {
    const zip = await openZip(p).catch((e: unknown) => {
      throw new UsageError(`not a backup: ${p} is neither a backup directory nor a zip (${(e as Error).message})`, {
        code: "NOT_A_BACKUP",
      });
    });
    try {
      const manifest = await readZipManifest(zip);
      return { path: p, format: "zip", zipFile: p, ...(manifest ? { manifest } : {}) };
    } finally {
      zip.close();
    }
  }
  const manifest = await readManifest(p);
  const ours = manifest.odoo_deploy;
  if (!ours) throw new UsageError(`not an odoo-deploy backup: ${p}/${MANIFEST_FILE} has no odoo_deploy section`, { code: "NOT_A_BACKUP" });
  // The manifest names the files that are read, hashed and (by prune) deleted: only plain names inside the directory.
  const files: unknown = ours.files;
  if (!Array.isArray(files) || !files.every((f) => isPlainFileName((f as { name?: unknown })?.name))) {
    throw new UsageError(`not a backup: ${p}/${MANIFEST_FILE} lists a file that is not a plain name inside the backup directory`, { code: "NOT_A_BACKUP" });
  }
  if (ours.format === "zip") {
    const zipName = ours.files.find((f) => f.name.endsWith(".zip"))?.name;
    if (!zipName) throw new UsageError(`${p}: manifest lists no zip file`, { code: "NOT_A_BACKUP" });
    return { path: p, dir: p, format: "zip", manifest, zipFile: path.join(p, zipName) };
  }
  const hasFilestore = ours.files.some((f) => f.name === FILESTORE_FILE);
  return {
    path: p,
    dir: p,
    format: "custom",
    manifest,
    dumpFile: path.join(p, DUMP_FILE),
    ...(hasFilestore ? { filestoreFile: path.join(p, FILESTORE_FILE) } : {}),
  };
}

/** True for a file name without directory parts (`database.dump`), not hidden and not `.`/`..`. @example isPlainFileName("../x") // false */
export function isPlainFileName(name: unknown): name is string {
  return typeof name === "string" && name.length > 0 && !name.startsWith(".") && !/[/\\\0]/.test(name);
}

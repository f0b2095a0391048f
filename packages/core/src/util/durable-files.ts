/**
 * Writing files so that they survive a crash or a power loss: fsync of files and directories, and JSON
 * written under a temporary name, fsynced and renamed into place (a reader sees the old or the new content).
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";

/** Flushes a file's or directory's data to disk. @example await fsyncPath("/backups/x/database.dump"); */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** True when something exists at `p` (a dangling symbolic link counts as nothing). @example if (await pathExists(p)) …; */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes `value` as JSON to `file` (mode 0600) atomically and durably: temporary file, fsync, rename, fsync of
 * the directory.
 *
 * @example await atomicWriteJson("/var/lib/odoo-deploy/swaps/swap-1.json", journal);
 */
export async function atomicWriteJson(file: string, value: unknown): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString("hex")}`);
  try {
    await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await fsyncPath(tmp);
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  await fsyncPath(path.dirname(file));
}

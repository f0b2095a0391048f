/**
 * Work directories in the system's temporary directory that a killed run cannot leave behind for good: each holds
 * an owner file naming the process that made it, and a later run removes the ones whose owner is gone.
 */
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { currentOwner, ownerMayBeRunning, parseOwner } from "./process-owner.js";

/** The file in each work directory naming its owner process. */
export const WORK_DIR_OWNER_FILE = ".odoo-deploy-owner.json";

/** A work directory of this run. */
export interface WorkDir {
  readonly path: string;
  /** Removes it and everything in it; never throws. */
  remove(): void;
}

/**
 * Makes a private directory `<tmpdir>/<prefix>XXXXXX` owned by this process (see {@link removeLeftoverWorkDirs}).
 *
 * @example const dir = createWorkDir("odoo-deploy-anon-"); try { ... } finally { dir.remove(); }
 */
export function createWorkDir(prefix: string, parent: string = os.tmpdir()): WorkDir {
  const dir = mkdtempSync(path.join(parent, prefix));
  writeFileSync(path.join(dir, WORK_DIR_OWNER_FILE), JSON.stringify(currentOwner()));
  return { path: dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What {@link removeLeftoverWorkDirs} did. */
export interface LeftoverWorkDirs {
  removed: string[];
  kept: { path: string; reason: string }[];
}

/**
 * Removes the work directories `<tmpdir>/<prefix>*` that killed runs left: real directories (not links) of this
 * user, with an owner file whose process ran on this host and is gone. Anything else is left alone.
 *
 * @example const { removed } = removeLeftoverWorkDirs("odoo-deploy-anon-");
 */
export function removeLeftoverWorkDirs(prefix: string, parent: string = os.tmpdir()): LeftoverWorkDirs {
  const out: LeftoverWorkDirs = { removed: [], kept: [] };
  let names: string[];
  try {
    names = readdirSync(parent).filter((n) => n.startsWith(prefix));
  } catch {
    return out;
  }
  for (const name of names) {
    const dir = path.join(parent, name);
    try {
      const st = lstatSync(dir);
      // The temporary directory is shared: only this user's real directories can be ours.
      if (!st.isDirectory() || (process.getuid && st.uid !== process.getuid())) continue;
      const owner = parseOwner(JSON.parse(readFileSync(path.join(dir, WORK_DIR_OWNER_FILE), "utf8")));
      if (!owner) continue;
      if (ownerMayBeRunning(owner)) {
        out.kept.push({ path: dir, reason: `its run (pid ${owner.pid}) may still be running` });
        continue;
      }
      rmSync(dir, { recursive: true, force: true });
      out.removed.push(dir);
    } catch {
      // No owner file, unreadable or vanished meanwhile: not provably a leftover of ours.
    }
  }
  return out;
}

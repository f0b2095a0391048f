/**
 * Identifiers of one run of a command: the UTC second it started and a random part, so that two runs started in
 * the same second never share a temporary name (a database, a filestore, a journal).
 */
import { randomBytes } from "node:crypto";

/** UTC timestamp usable in file and database names. @example compactTimestamp(new Date("2026-11-27T09:35:12Z")) // "20261127T093512Z" */
export function compactTimestamp(d: Date = new Date()): string {
  return d.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z");
}

/**
 * A new run id, `<UTC timestamp>_<6 hex>`; valid in database and file names without quoting.
 *
 * @example newRunId(new Date("2026-11-27T09:35:12Z")) // "20261127T093512Z_3f9a1c"
 */
export function newRunId(at: Date = new Date()): string {
  return `${compactTimestamp(at)}_${randomBytes(3).toString("hex")}`;
}

/** True for a string {@link newRunId} could have made. @example isRunId("20261127T093512Z_3f9a1c") // true */
export function isRunId(s: string): boolean {
  return /^\d{8}T\d{6}Z_[0-9a-f]{6}$/.test(s);
}

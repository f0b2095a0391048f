/**
 * Who owns a leftover (a temporary database, a work directory): this process, named so that another process can
 * later tell whether it is still running — by pid, and on Linux by the pid's start time too, so that a pid
 * reused by an unrelated process after a crash is not taken for the owner.
 */
import { readFileSync } from "node:fs";
import os from "node:os";

/** The process that made something, as recorded beside it. */
export interface ProcessOwner {
  host: string;
  pid: number;
  /** Start time of the process in clock ticks since boot (`/proc/<pid>/stat`), where the system tells it. */
  pidStart?: string;
  /** ISO time the thing was made. */
  createdAt: string;
}

/** This process as a {@link ProcessOwner}. @example writeFileSync(file, JSON.stringify(currentOwner())) */
export function currentOwner(): ProcessOwner {
  const pidStart = processStart(process.pid);
  return { host: os.hostname(), pid: process.pid, ...(pidStart ? { pidStart } : {}), createdAt: new Date().toISOString() };
}

/**
 * Whether the owner may still be running: `false` only when it ran on this host and its pid is gone, or now
 * belongs to a process started at another time. Another host's owner is always possibly running.
 *
 * @example if (!ownerMayBeRunning(owner)) rmSync(dir, { recursive: true });
 */
export function ownerMayBeRunning(owner: ProcessOwner): boolean {
  if (owner.host !== os.hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    // EPERM: a process of another user has that pid, so it is alive.
    return (e as NodeJS.ErrnoException).code !== "ESRCH";
  }
  const start = owner.pidStart === undefined ? undefined : processStart(owner.pid);
  return start === undefined || start === owner.pidStart;
}

/** A ProcessOwner read from untrusted JSON, or undefined when it is not one. */
export function parseOwner(value: unknown): ProcessOwner | undefined {
  const o = value as Partial<ProcessOwner> | null;
  if (!o || typeof o !== "object" || typeof o.host !== "string" || !Number.isInteger(o.pid) || (o.pid ?? 0) <= 0 || typeof o.createdAt !== "string") return undefined;
  if (o.pidStart !== undefined && typeof o.pidStart !== "string") return undefined;
  return { host: o.host, pid: o.pid!, ...(o.pidStart ? { pidStart: o.pidStart } : {}), createdAt: o.createdAt };
}

function processStart(pid: number): string | undefined {
  try {
    // Field 22 of /proc/<pid>/stat; the command name (field 2) may hold spaces and parentheses, so count from ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
  } catch {
    return undefined;
  }
}

/**
 * The deploy journal: one JSON file per deploy, `<backups>/deploys/<id>.json`, rewritten atomically (temporary
 * file, fsync, rename, fsync of the directory) when a step starts and when it ends. It lives beside the backups,
 * never in the database it describes, since a rollback rewinds that database. After a crash (kill -9, a lost
 * SSH session) the next deploy or rollback reads it to finish what was left half-done.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, readdir, readFile, rename, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { UsageError } from "../errors.js";
import type { Check } from "../report.js";
import { fitDatabaseName } from "../db/swap.js";

/** Where a deploy stands. `running` and `rolling-back` are unfinished: a crash left them so, or they run now. */
export type DeployStatus = "running" | "rolling-back" | "succeeded" | "rolled-back" | "failed" | "abandoned";

/** The code a service runs: image (Docker) and revision (git). */
export interface DeployedCode {
  image?: string;
  /** Exact image id, so going back starts the very image that ran, even if its tag moved. */
  imageId?: string;
  revision?: string;
  /** Installed modules and their versions (`ir_module_module.latest_version`) when this code ran. */
  modules?: Record<string, string>;
}

/** A rollback point: a clone of the stopped database and a hard-link snapshot of its filestore. */
export interface RollbackPointRecord {
  database: string;
  /** The filestore snapshot directory, as the filestore runner sees it. */
  filestore?: string;
  createdAt: string;
  /** Database size when cloned, bytes. */
  bytes?: number;
}

/** One deploy (or one-off rollback) as recorded. */
export interface DeployJournalEntry {
  formatVersion: 1;
  id: string;
  kind: "deploy" | "rollback";
  /** The Odoo database. */
  database: string;
  status: DeployStatus;
  startedAt: string;
  endedAt?: string;
  /** Host and pid of the process that wrote it (to tell a live run from a dead one). */
  host: string;
  pid: number;
  service: { kind: string; description: string };
  from: DeployedCode;
  to: DeployedCode;
  /** The step running now (written before it starts), if any. */
  current?: { name: string; startedAt: string };
  steps: Check[];
  /** Modules the plan updates and installs. */
  update: string[];
  install: string[];
  backup?: { path: string };
  rollbackPoint?: RollbackPointRecord;
  /** Why there is no rollback point (no CREATEDB, not enough disk, nothing to migrate…). */
  rollbackPointUnavailable?: string;
  /** The previous Docker container kept until the deploy is final. */
  previousContainer?: { id: string; name: string; imageId: string };
  /** Where the migrated (failed) database was put aside by a rollback. */
  failedDatabase?: string;
  failedFilestore?: string;
  /** The filestore of the database, as the filestore runner sees it. */
  filestoreDir?: string;
  /** Rollback steps (automatic after a failure, or a one-off rollback's own). */
  rollback?: { reason: string; steps: Check[]; ok?: boolean; current?: { name: string; startedAt: string } };
  /** For a one-off rollback: the deploy it undoes. */
  undoes?: string;
  /** The deploy was undone later by this one-off rollback. */
  undoneBy?: string;
  /** Rollback points and failed databases this deploy's retention dropped. */
  dropped?: string[];
  /** When retention dropped this deploy's own rollback point, or its failed database. */
  rollbackPointDropped?: string;
  failedDropped?: string;
}

/** The directory of the journal under a backups directory. @example journalDir("/var/backups/odoo") // "/var/backups/odoo/deploys" */
export function journalDir(backupsDir: string): string {
  return path.join(path.resolve(backupsDir), "deploys");
}

/**
 * A new deploy id: `<UTC timestamp>-<6 hex>`, sortable by time and unique per run.
 *
 * @example newDeployId(new Date("2026-12-02T14:02:00Z")) // "20261202T140200Z-1a2b3c"
 */
export function newDeployId(at: Date = new Date()): string {
  return `${at.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

const ID = /^\d{8}T\d{6}Z-[0-9a-f]{6}$/;

/** The names a deploy gives the databases it creates, within 63 bytes (CONVENTIONS.md). */
export function deployNames(database: string, id: string): { rollbackPoint: string; failed: string; backup: string } {
  const short = id.replace(/^(\d{8})T(\d{6})Z-/, "$1$2");
  return {
    rollbackPoint: fitDatabaseName(database, `_predeploy_${short}`),
    failed: fitDatabaseName(database, `_failed_${short}`),
    // The backup's directory (and its hidden work directory while written) carries the deploy id: a killed
    // run's half-written backup is recognisably this deploy's.
    backup: `${database}_predeploy_${id}`,
  };
}

/**
 * Reads, writes and lists journal entries of one backups directory.
 *
 * @example
 * const journal = new DeployJournal("/var/backups/odoo");
 * const unfinished = (await journal.list()).filter((e) => e.status === "running");
 */
export class DeployJournal {
  readonly dir: string;

  constructor(backupsDir: string) {
    this.dir = journalDir(backupsDir);
  }

  /** A fresh entry for this process (not written yet). */
  static begin(fields: Omit<DeployJournalEntry, "formatVersion" | "status" | "startedAt" | "host" | "pid" | "steps"> & { status?: DeployStatus }): DeployJournalEntry {
    return { formatVersion: 1, status: "running", startedAt: new Date().toISOString(), host: os.hostname(), pid: process.pid, steps: [], ...fields };
  }

  /** Writes an entry atomically: a reader sees the old file or the new one, never a part. */
  async save(entry: DeployJournalEntry): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = this.file(entry.id);
    const tmp = path.join(this.dir, `.${entry.id}.json.${randomBytes(4).toString("hex")}`);
    await writeFile(tmp, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600, flag: "wx" });
    await fsync(tmp);
    await rename(tmp, file);
    await fsync(this.dir);
  }

  /** One entry by id. */
  async load(id: string): Promise<DeployJournalEntry> {
    if (!ID.test(id)) throw new UsageError(`not a deploy id: ${JSON.stringify(id)} (expected e.g. 20261202T140200Z-1a2b3c)`, { code: "BAD_DEPLOY_ID" });
    const text = await readFile(this.file(id), "utf8").catch(() => {
      throw new UsageError(`no deploy ${id} in ${this.dir}`, { code: "DEPLOY_NOT_FOUND" });
    });
    return parseEntry(text, this.file(id));
  }

  /** Every entry, oldest first; files that are not entries are ignored. */
  async list(): Promise<DeployJournalEntry[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: DeployJournalEntry[] = [];
    for (const n of names.sort()) {
      if (!n.endsWith(".json") || !ID.test(n.slice(0, -5))) continue;
      out.push(parseEntry(await readFile(path.join(this.dir, n), "utf8"), path.join(this.dir, n)));
    }
    return out;
  }

  private file(id: string): string {
    return path.join(this.dir, `${id}.json`);
  }
}

function parseEntry(text: string, file: string): DeployJournalEntry {
  try {
    const e = JSON.parse(text) as DeployJournalEntry;
    if (e.formatVersion !== 1 || typeof e.id !== "string" || typeof e.database !== "string") throw new Error("not a journal entry");
    return e;
  } catch (err) {
    throw new UsageError(`unreadable deploy journal entry ${file}: ${(err as Error).message}`, { code: "JOURNAL_UNREADABLE" });
  }
}

async function fsync(p: string): Promise<void> {
  const fh = await open(p, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

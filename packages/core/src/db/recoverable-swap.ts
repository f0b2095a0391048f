/**
 * A database and its filestore put in place together, recoverably: a journal naming this run's databases and
 * directories is written (fsynced) before anything is created, and the swap renames the databases, then the
 * filestore directories, inside one transaction that commits last. A session that connects meanwhile waits on
 * the renames' locks, so no Odoo request touches the database while the directories move. Killed anywhere, the
 * journal and the catalog tell a later run what happened: before the commit everything is undone, after it the
 * swap is complete. {@link recoverSwaps} does that, and must run before anything else touches the same target.
 */
import { createHash } from "node:crypto";
import os from "node:os";
import { lstat, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type pg from "pg";
import { EnvironmentError, OperationFailedError, throwIfAborted, UsageError } from "../errors.js";
import { durationSince, type Check, type EventHandler, type ReportBase } from "../report.js";
import { failpoint } from "../util/failpoint.js";
import { isRunId, newRunId } from "../util/run-id.js";
import { connect, quoteIdent, withDatabase } from "./connection.js";
import { existsOn, fitDatabaseName, inRenameTransaction, MAX_IDENTIFIER_BYTES, serverIdentity } from "./swap.js";
import { atomicWriteJson, fsyncPath, pathExists } from "../util/durable-files.js";

/** The journal of one swap, as written to `<journalDir>/swap-<id>.json`. */
export interface SwapJournal {
  kind: "odoo-deploy swap";
  version: 1;
  id: string;
  /** {@link serverIdentity} of the cluster holding the databases. */
  server: string;
  database: string;
  replacement: string;
  /** The replacement was made for this swap (named after its id): undoing the swap drops it. */
  ownsReplacement: boolean;
  aside: string;
  filestore?: {
    dir: string;
    replacement: string;
    aside: string;
    /** Where the replacement is written before it is complete (owned replacements only). */
    partial?: string;
    ownsReplacement: boolean;
  };
  /** `prepare`: the replacement is being made; `swap`: the renames may have begun. */
  phase: "prepare" | "swap";
  targetExisted?: boolean;
  filestoreExisted?: boolean;
  swapStartedAt?: string;
  createdAt: string;
  pid: number;
  hostname: string;
}

/** Options of {@link prepareSwap}. */
export interface PrepareSwapOptions {
  /** Any URL of the server (maintenance connections go to its `postgres` database). */
  dbUrl: string;
  /** The name that must end up pointing at the replacement. */
  database: string;
  /** Where the journal is written (default {@link defaultJournalDir}). Every run that may swap `database` must use the same. */
  journalDir?: string;
  /** This run's id (default {@link newRunId}); the generated names end with it. */
  id?: string;
  /** An existing database to put in place (e.g. a rollback point). Default `<db>_restore_<id>`, which the caller creates. */
  replacement?: string;
  /** Drop the replacement when the swap is undone (default: true for the generated name, false for a given one). */
  ownsReplacement?: boolean;
  /** Name for the current database (default `<db>_before_<id>`). */
  asideName?: string;
  /**
   * The target's filestore (`<data_dir>/filestore/<db>`), swapped with the database. Generated names sit beside
   * it and follow the database's (`<parent>/<db>_restore_<id>`, `<parent>/<db>_before_<id>`).
   */
  filestore?: { dir: string; replacement?: string; aside?: string; ownsReplacement?: boolean };
  signal?: AbortSignal;
}

/** What {@link PreparedSwap.commit} did. */
export interface SwapCommitResult {
  database: string;
  /** Where the old database now is; absent when there was none. */
  asideName?: string;
  /** The filestore now in place. */
  filestoreDir?: string;
  /** Where the old filestore now is; absent when there was none. */
  asideFilestoreDir?: string;
  terminatedSessions: number;
}

/** Options of {@link PreparedSwap.commit}. */
export interface SwapCommitOptions {
  /** Milliseconds to keep terminating sessions before giving up (default 15 s). */
  terminateTimeoutMs?: number;
  /** Before the transaction commits, an abort undoes the swap (AbortedError); after it, the swap is complete. */
  signal?: AbortSignal;
}

/** A swap journaled and ready: make the replacement, then {@link commit}, {@link abandon} or {@link release}. */
export interface PreparedSwap {
  readonly id: string;
  readonly database: string;
  readonly replacement: string;
  readonly asideName: string;
  readonly filestore?: { dir: string; replacement: string; aside: string; partial?: string };
  readonly journalFile: string;
  /**
   * Renames (one transaction): the database aside and the replacement into place, then the filestore aside and
   * its replacement into place, then commits. On failure everything is put back as it was (the replacement kept,
   * the journal back in `prepare`) and the error rethrown: call {@link abandon} or {@link release} next.
   */
  commit(options?: SwapCommitOptions): Promise<SwapCommitResult>;
  /** Drops what this run made (an owned replacement database, filestore and partial directory) and the journal. */
  abandon(): Promise<void>;
  /** Ends the run without swapping, keeping the replacement (e.g. a restore kept under its own name). */
  release(): Promise<void>;
}

/**
 * Journals a swap of `database` (and its filestore) before anything is made, and holds a lock that tells other
 * runs this one is alive. Names are unique per run.
 *
 * @example
 * const swap = await prepareSwap({ dbUrl, database: "odoo_prod", filestore: { dir: "/var/lib/odoo/filestore/odoo_prod" } });
 * try {
 *   await createDatabase(dbUrl, swap.replacement); // … restore into it, write swap.filestore.partial, rename it to .replacement
 *   const r = await swap.commit({ signal });
 * } catch (e) { await swap.abandon(); throw e; }
 */
export async function prepareSwap(o: PrepareSwapOptions): Promise<PreparedSwap> {
  throwIfAborted(o.signal);
  const id = o.id ?? newRunId();
  const replacement = o.replacement ?? fitDatabaseName(o.database, `_restore_${id}`);
  const asideName = o.asideName ?? fitDatabaseName(o.database, `_before_${id}`);
  for (const n of [replacement, asideName]) {
    if (Buffer.byteLength(n) > MAX_IDENTIFIER_BYTES) throw new UsageError(`swap: name longer than 63 bytes: ${n}`);
  }
  if (new Set([o.database, replacement, asideName]).size !== 3) throw new UsageError("swap: database, replacement and aside names must differ");
  const journalDir = path.resolve(o.journalDir ?? defaultJournalDir());
  const holder = await connect(withDatabase(o.dbUrl, "postgres"), { signal: o.signal, applicationName: "odoo-deploy swap" });
  let lost = false;
  holder.on("end", () => (lost = true));
  try {
    const server = await serverIdentity(holder);
    await holder.query("SELECT pg_advisory_lock($1::bigint)", [lockKey(`run/${id}`)]);
    let filestore: SwapJournal["filestore"];
    if (o.filestore) {
      const dir = path.resolve(o.filestore.dir);
      const parent = path.dirname(dir);
      const named = (db: string, suffix: string) => path.join(parent, path.basename(dir) === o.database ? db : `${path.basename(dir)}${suffix}`);
      const fsReplacement = o.filestore.replacement ? path.resolve(o.filestore.replacement) : named(replacement, `_restore_${id}`);
      const owns = o.filestore.ownsReplacement ?? o.filestore.replacement === undefined;
      filestore = {
        dir,
        replacement: fsReplacement,
        aside: o.filestore.aside ? path.resolve(o.filestore.aside) : named(asideName, `_before_${id}`),
        ...(owns ? { partial: path.join(path.dirname(fsReplacement), `.${path.basename(fsReplacement)}.partial`) } : {}),
        ownsReplacement: owns,
      };
    }
    const journal: SwapJournal = {
      kind: "odoo-deploy swap",
      version: 1,
      id,
      server,
      database: o.database,
      replacement,
      ownsReplacement: o.ownsReplacement ?? o.replacement === undefined,
      aside: asideName,
      ...(filestore ? { filestore } : {}),
      phase: "prepare",
      createdAt: new Date().toISOString(),
      pid: process.pid,
      hostname: os.hostname(),
    };
    const journalFile = path.join(journalDir, `swap-${id}.json`);
    await mkdir(journalDir, { recursive: true, mode: 0o700 });
    await atomicWriteJson(journalFile, journal);
    return new Prepared(o.dbUrl, holder, journal, journalFile, () => lost);
  } catch (e) {
    await holder.end().catch(() => {});
    throw e;
  }
}

class Prepared implements PreparedSwap {
  readonly id: string;
  readonly database: string;
  readonly replacement: string;
  readonly asideName: string;
  readonly filestore?: { dir: string; replacement: string; aside: string; partial?: string };
  private closed = false;

  constructor(
    private readonly dbUrl: string,
    private readonly holder: pg.Client,
    private readonly journal: SwapJournal,
    readonly journalFile: string,
    private readonly lost: () => boolean,
  ) {
    this.id = journal.id;
    this.database = journal.database;
    this.replacement = journal.replacement;
    this.asideName = journal.aside;
    if (journal.filestore) {
      const { dir, replacement, aside, partial } = journal.filestore;
      this.filestore = { dir, replacement, aside, ...(partial ? { partial } : {}) };
    }
  }

  async commit(o: SwapCommitOptions = {}): Promise<SwapCommitResult> {
    this.assertOpen();
    const j = this.journal;
    const c = this.holder;
    await takeTargetLock(c, j.database, o.signal);
    try {
      if (!(await existsOn(c, j.replacement))) throw new UsageError(`swap: database ${j.replacement} does not exist`, { code: "DB_NOT_FOUND" });
      const targetExisted = await existsOn(c, j.database);
      if (targetExisted && (await existsOn(c, j.aside))) throw new UsageError(`swap: database ${j.aside} already exists`, { code: "DB_EXISTS" });
      const fs = j.filestore;
      const filestoreExisted = fs ? await pathExists(fs.dir) : false;
      if (fs) {
        if (!(await isDirectory(fs.replacement))) throw new UsageError(`swap: filestore ${fs.replacement} does not exist`, { code: "FILESTORE_NOT_FOUND" });
        if (filestoreExisted && (await pathExists(fs.aside))) throw new UsageError(`swap: ${fs.aside} already exists`, { code: "FILESTORE_EXISTS" });
      }
      await this.write({ phase: "swap", targetExisted, filestoreExisted, swapStartedAt: new Date().toISOString() });
      const names = targetExisted ? [j.database, j.replacement] : [j.replacement];
      let terminated = 0;
      try {
        ({ terminated } = await inRenameTransaction(c, this.dbUrl, names, o, async () => {
          if (targetExisted) await c.query(`ALTER DATABASE ${quoteIdent(j.database)} RENAME TO ${quoteIdent(j.aside)}`);
          await c.query(`ALTER DATABASE ${quoteIdent(j.replacement)} RENAME TO ${quoteIdent(j.database)}`);
          await step("swap:in-transaction", o.signal);
          if (fs) {
            if (filestoreExisted) await renameDurably(fs.dir, fs.aside);
            await step("swap:between-filestore-renames", o.signal);
            await renameDurably(fs.replacement, fs.dir);
          }
          await step("swap:before-commit", o.signal);
        }));
      } catch (e) {
        // The commit may have gone through even though it reported an error (a lost connection): the catalog says.
        // When that cannot be told (the connection is gone), the journal stays in `swap` for recoverSwaps.
        const settled = await settle(c, this.journal, { dropOwned: false }).catch(() => undefined);
        if (settled?.outcome !== "finished") {
          if (settled) await this.write({ phase: "prepare" });
          throw e;
        }
      }
      await failpoint("swap:after-commit", o.signal);
      await this.close();
      return {
        database: j.database,
        ...(targetExisted ? { asideName: j.aside } : {}),
        ...(fs ? { filestoreDir: fs.dir } : {}),
        ...(fs && filestoreExisted ? { asideFilestoreDir: fs.aside } : {}),
        terminatedSessions: terminated,
      };
    } finally {
      if (!this.closed) await c.query("SELECT pg_advisory_unlock($1::bigint)", [lockKey(`target/${j.database}`)]).catch(() => {});
    }
  }

  async abandon(): Promise<void> {
    if (this.closed) return;
    await dropOwned(this.holder, this.journal);
    await this.close();
  }

  async release(): Promise<void> {
    if (this.closed) return;
    // What was made stays: only the hidden partial directory (never a result) goes.
    if (this.journal.filestore?.partial) await rm(this.journal.filestore.partial, { recursive: true, force: true });
    await this.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new UsageError("swap: already committed, abandoned or released");
    if (this.lost()) {
      // Another run may already have judged this one dead and undone it.
      throw new EnvironmentError(`swap ${this.id}: the connection holding its lock was lost; nothing was swapped`, { code: "SWAP_LOCK_LOST" });
    }
  }

  private async write(patch: Partial<SwapJournal>): Promise<void> {
    Object.assign(this.journal, patch);
    await atomicWriteJson(this.journalFile, this.journal);
  }

  private async close(): Promise<void> {
    this.closed = true;
    await rm(this.journalFile, { force: true });
    await fsyncPath(path.dirname(this.journalFile)).catch(() => {});
    await this.holder.end().catch(() => {});
  }
}

async function step(name: string, signal: AbortSignal | undefined): Promise<void> {
  await failpoint(name, signal);
  // Inside the transaction an abort still undoes everything: nothing is committed yet.
  throwIfAborted(signal);
}

/** Options of {@link recoverSwaps}. */
export interface RecoverSwapsOptions {
  dbUrl: string;
  /** The target whose unfinished swaps are settled. */
  database: string;
  journalDir?: string;
  signal?: AbortSignal;
  onEvent?: EventHandler<SwapRecoveryEvent>;
}

/** What became of one journal found by {@link recoverSwaps}. */
export interface RecoveredSwap {
  id: string;
  journalFile: string;
  /**
   * `finished`: the swap had committed, only its journal remained; `undone`: it had not, everything it made was
   * removed and the target is as it was; `running`: its run is alive (left alone); `other-server`: the journal is
   * for a database of that name on another cluster (left alone); `unrecoverable`: the state matches no step of the
   * swap (the journal is kept, the detail says what is missing).
   */
  outcome: "finished" | "undone" | "running" | "other-server" | "unrecoverable";
  detail: string;
}

/** Event of {@link recoverSwaps}. */
export type SwapRecoveryEvent = { type: "swap:recovered"; swap: RecoveredSwap };

/** Report of {@link recoverSwaps}. */
export interface RecoverSwapsReport extends ReportBase {
  database: string;
  swaps: RecoveredSwap[];
  checks: Check[];
}

/**
 * Finds the journals of swaps of `database` whose run is gone (killed, crashed, its host rebooted) and settles
 * each: undone when its transaction had not committed (databases and filestore back as they were, what the run
 * made removed; files Odoo wrote into a filestore in the meantime are moved to the one that stays), finished when
 * it had. Journals of live runs and of other clusters are left alone. `ok` is false when one cannot be settled.
 *
 * @example
 * const r = await recoverSwaps({ dbUrl, database: "odoo_prod" });
 * for (const s of r.swaps) console.log(s.id, s.outcome, s.detail);
 */
export async function recoverSwaps(o: RecoverSwapsOptions): Promise<RecoverSwapsReport> {
  const start = performance.now();
  throwIfAborted(o.signal);
  const dir = path.resolve(o.journalDir ?? defaultJournalDir());
  const journals = (await readJournals(dir)).filter((j) => j.journal.database === o.database);
  const swaps: RecoveredSwap[] = [];
  const checks: Check[] = [];
  if (journals.length) {
    const c = await connect(withDatabase(o.dbUrl, "postgres"), { signal: o.signal, applicationName: "odoo-deploy swap" });
    try {
      const server = await serverIdentity(c);
      for (const { journal: j, file } of journals) {
        const t0 = performance.now();
        const outcome = await recoverOne(c, server, j, file, o.signal);
        const swap = { id: j.id, journalFile: file, ...outcome };
        swaps.push(swap);
        o.onEvent?.({ type: "swap:recovered", swap });
        checks.push({
          name: `swap ${j.id}`,
          status: outcome.outcome === "unrecoverable" ? "failed" : outcome.outcome === "finished" || outcome.outcome === "undone" ? "ok" : "skipped",
          detail: `${outcome.outcome}: ${outcome.detail}`,
          durationMs: durationSince(t0),
        });
      }
    } finally {
      await c.end().catch(() => {});
    }
  }
  return { ok: checks.every((x) => x.status !== "failed"), durationMs: durationSince(start), database: o.database, swaps, checks };
}

async function recoverOne(c: pg.Client, server: string, j: SwapJournal, file: string, signal?: AbortSignal): Promise<Omit<RecoveredSwap, "id" | "journalFile">> {
  if (j.server !== server) return { outcome: "other-server", detail: `the journal is for ${j.database} on another PostgreSQL cluster (${j.server})` };
  const key = lockKey(`run/${j.id}`);
  const free = (await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key])).rows[0]!.ok;
  if (!free) return { outcome: "running", detail: `run ${j.id} (pid ${j.pid} on ${j.hostname}) is still running` };
  try {
    await takeTargetLock(c, j.database, signal);
    try {
      const settled = await settle(c, j, { dropOwned: true });
      await rm(file, { force: true });
      await fsyncPath(path.dirname(file)).catch(() => {});
      return settled;
    } finally {
      await c.query("SELECT pg_advisory_unlock($1::bigint)", [lockKey(`target/${j.database}`)]);
    }
  } catch (e) {
    if (e instanceof Unrecoverable) return { outcome: "unrecoverable", detail: `${e.message}; journal kept: ${file}` };
    throw e;
  } finally {
    await c.query("SELECT pg_advisory_unlock($1::bigint)", [key]).catch(() => {});
  }
}

class Unrecoverable extends Error {}

/**
 * Brings the target to a state the journal's steps explain: the swap complete (its transaction committed) or
 * undone. With `dropOwned`, an undone swap also loses what its run made.
 */
async function settle(c: pg.Client, j: SwapJournal, o: { dropOwned: boolean }): Promise<{ outcome: "finished" | "undone"; detail: string }> {
  const fs = j.filestore;
  if (j.phase === "swap") {
    const replacementThere = await existsOn(c, j.replacement);
    const committed = !replacementThere && (await existsOn(c, j.database)) && (!j.targetExisted || (await existsOn(c, j.aside)));
    if (committed) {
      // The directories move inside the transaction, before it commits: committed means they were moved.
      if (fs && ((await pathExists(fs.replacement)) || !(await pathExists(fs.dir)))) {
        throw new Unrecoverable(`the database swap of ${j.database} committed but the filestore ${fs.dir} is not the one it put in place`);
      }
      return { outcome: "finished", detail: `the swap had committed: ${j.database} is the restored database${j.targetExisted ? `, the old one is ${j.aside}` : ""}` };
    }
    if (!replacementThere) throw new Unrecoverable(`neither ${j.replacement} nor a committed swap of ${j.database} is there`);
    if (fs) await undoFilestore(j);
  }
  if (o.dropOwned) await dropOwned(c, j);
  const made = [j.ownsReplacement ? j.replacement : undefined, fs?.ownsReplacement ? fs.replacement : undefined].filter(Boolean);
  return {
    outcome: "undone",
    detail: `the swap had not committed: ${j.database}${fs ? ` and ${fs.dir}` : ""} are as before${o.dropOwned && made.length ? `; removed ${made.join(", ")}` : ""}`,
  };
}

/**
 * Puts the filestore directories back as they were before the swap began, from whichever rename the run reached.
 * Files Odoo wrote meanwhile (it served the old database while the directories were half moved) go to the
 * directory that stays.
 */
async function undoFilestore(j: SwapJournal): Promise<void> {
  const fs = j.filestore!;
  const since = j.swapStartedAt ? new Date(j.swapStartedAt) : new Date(0);
  if (!(await pathExists(fs.replacement)) && (await pathExists(fs.dir))) {
    // Both renames were done: the target holds the replacement.
    if (j.filestoreExisted) await moveFiles(fs.dir, fs.aside, since);
    else {
      const keep = `${fs.dir}.odoo-deploy-undo-${j.id}`;
      await moveFiles(fs.dir, keep, since);
    }
    await renameDurably(fs.dir, fs.replacement);
  }
  if (j.filestoreExisted && (await pathExists(fs.aside))) {
    // The old filestore was moved aside; a directory at the target now was made by Odoo in between.
    if (await pathExists(fs.dir)) {
      await moveFiles(fs.dir, fs.aside);
      await rm(fs.dir, { recursive: true, force: true });
    }
    await renameDurably(fs.aside, fs.dir);
  }
  const kept = `${fs.dir}.odoo-deploy-undo-${j.id}`;
  if (!j.filestoreExisted && (await pathExists(kept))) await renameDurably(kept, fs.dir);
}

/** Drops the replacement database and removes the filestore directories the run made (only those it owns). */
async function dropOwned(c: pg.Client, j: SwapJournal): Promise<void> {
  if (j.ownsReplacement && (await existsOn(c, j.replacement))) await c.query(`DROP DATABASE ${quoteIdent(j.replacement)} WITH (FORCE)`);
  const fs = j.filestore;
  if (fs?.partial) await rm(fs.partial, { recursive: true, force: true });
  if (fs?.ownsReplacement) await rm(fs.replacement, { recursive: true, force: true });
}

/**
 * Moves every regular file of `from` (modified at or after `since`, when given) to the same relative path under
 * `to` when nothing is there yet; in Odoo's filestore a name is its content's sha1, so one already there is the
 * same file.
 */
async function moveFiles(from: string, to: string, since?: Date): Promise<number> {
  let moved = 0;
  const walk = async (rel: string) => {
    const entries = await readdir(path.join(from, rel), { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const r = rel ? path.join(rel, e.name) : e.name;
      if (e.isDirectory()) await walk(r);
      else if (e.isFile()) {
        const src = path.join(from, r);
        if (since && (await lstat(src)).mtime < since) continue;
        const dest = path.join(to, r);
        if (await pathExists(dest)) continue;
        await mkdir(path.dirname(dest), { recursive: true });
        await rename(src, dest);
        moved++;
      }
    }
  };
  await walk("");
  if (moved) await fsyncPath(to).catch(() => {});
  return moved;
}

/** `rename` followed by an fsync of the parent directory, so the move survives a power loss. */
async function renameDurably(from: string, to: string): Promise<void> {
  await rename(from, to);
  await fsyncPath(path.dirname(to));
}

async function isDirectory(p: string): Promise<boolean> {
  return (await stat(p).catch(() => undefined))?.isDirectory() ?? false;
}

/** Serializes swaps (and recoveries) of one target on one cluster; waits, checking `signal`. */
async function takeTargetLock(c: pg.Client, database: string, signal: AbortSignal | undefined): Promise<void> {
  const key = lockKey(`target/${database}`);
  for (;;) {
    throwIfAborted(signal);
    if ((await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [key])).rows[0]!.ok) return;
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** A 60-bit advisory lock key (as a decimal string) for `odoo-deploy swap/<name>`. */
function lockKey(name: string): string {
  return BigInt(`0x${createHash("sha1").update(`odoo-deploy swap/${name}`).digest("hex").slice(0, 15)}`).toString();
}

/**
 * Where swap journals live by default: `$ODOO_DEPLOY_STATE_DIR/swaps`, else `$XDG_STATE_HOME/odoo-deploy/swaps`,
 * else `~/.local/state/odoo-deploy/swaps`.
 *
 * @example defaultJournalDir() // "/root/.local/state/odoo-deploy/swaps"
 */
export function defaultJournalDir(): string {
  const state = process.env.ODOO_DEPLOY_STATE_DIR ?? path.join(process.env.XDG_STATE_HOME || path.join(os.homedir(), ".local", "state"), "odoo-deploy");
  return path.join(state, "swaps");
}

async function readJournals(dir: string): Promise<{ journal: SwapJournal; file: string }[]> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [] as string[];
    throw e;
  });
  const out: { journal: SwapJournal; file: string }[] = [];
  for (const name of names.sort()) {
    const m = name.match(/^swap-(.+)\.json$/);
    if (!m || !isRunId(m[1]!)) continue;
    const file = path.join(dir, name);
    let journal: SwapJournal;
    try {
      journal = JSON.parse(await readFile(file, "utf8")) as SwapJournal;
    } catch (e) {
      throw new OperationFailedError(`swap journal ${file} cannot be read: ${(e as Error).message}`, { code: "SWAP_JOURNAL_UNREADABLE", cause: e });
    }
    if (journal.kind === "odoo-deploy swap" && journal.id === m[1]) out.push({ journal, file });
  }
  return out;
}


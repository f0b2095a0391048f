// Post-data (indexes and constraints) overlapped with the copy. The copy keeps both cores busy, but the
// post-data step after it did not: a table's indexes are built one per session, and the last, longest ones ran
// alone. So a table's own indexes and
// primary key, unique and exclusion constraints are built as soon as its last rows are in, and a foreign key
// as soon as both of its tables have theirs, while other tables are still being copied. What is left
// (triggers, partitioned tables, comments, …) is restored after the copy, as before.
import type { Queryable } from "@odoo-deploy/core/base";

/** A post-data object that can be built before the copy ends. */
export interface EarlyObject {
  /** `classid oid`, as `pg_restore -l` lists it (`2606 16393` for a pg_constraint row). */
  key: string;
  /** The table it belongs to, `schema.name`. */
  table: string;
  /** Foreign keys: the referenced table, `schema.name`. */
  refTable?: string;
}

/**
 * Reads, in the caller's snapshot (the one pg_dump used, so the OIDs are the dump's), the indexes and the
 * primary key, unique, exclusion and foreign key constraints of plain tables: not partitioned, not partitions,
 * without inheritance children (their indexes are attached to one another, so they wait for the end).
 *
 * @example const objects = await readEarlyObjects(coordinator);
 */
export async function readEarlyObjects(db: Queryable): Promise<EarlyObject[]> {
  const r = await db.query<{ classid: string; oid: string; schema: string; table: string; fschema: string | null; ftable: string | null }>(`
    WITH plain AS (
      SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE c.relkind = 'r' AND NOT c.relispartition AND NOT c.relhassubclass
         AND NOT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid))
    SELECT 'pg_class'::regclass::oid::text AS classid, i.indexrelid::text AS oid, t.nspname AS schema, t.relname AS table,
           NULL AS fschema, NULL AS ftable
      FROM pg_index i JOIN plain t ON t.oid = i.indrelid
     WHERE NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid AND k.contype IN ('p', 'u', 'x'))
    UNION ALL
    SELECT 'pg_constraint'::regclass::oid::text, k.oid::text, t.nspname, t.relname, f.nspname, f.relname
      FROM pg_constraint k JOIN plain t ON t.oid = k.conrelid LEFT JOIN plain f ON f.oid = k.confrelid
     WHERE k.contype IN ('p', 'u', 'x') OR (k.contype = 'f' AND f.oid IS NOT NULL)`);
  return r.rows.map((o) => ({
    key: `${o.classid} ${o.oid}`,
    table: `${o.schema}.${o.table}`,
    ...(o.ftable !== null ? { refTable: `${o.fschema}.${o.ftable}` } : {}),
  }));
}

/** The `classid oid` of a `pg_restore -l` line (`3237; 2606 16393 CONSTRAINT public t t_pkey postgres`). */
function tocKey(line: string): string | undefined {
  const m = /^\s*\d+;\s+(\d+)\s+(\d+)\s/.exec(line);
  return m ? `${m[1]} ${m[2]}` : undefined;
}

/** Options of {@link PostDataPipeline}. */
export interface PostDataPipelineOptions {
  /** The archive's post-data entries, `pg_restore -l --section=post-data` output. */
  toc: string;
  objects: EarlyObject[];
  /** Tables whose rows are copied (`schema.name`): only theirs are built early. */
  copied: string[];
  /**
   * Restores the entries of these `pg_restore -l` lines (with `-L`); rejects on failure, and stops when
   * `signal` is aborted.
   */
  restore(lines: string[], what: string, signal: AbortSignal): Promise<void>;
}

/**
 * Builds post-data while the data is copied: {@link tableLoaded} once a table's last rows are in queues its
 * indexes and constraints; {@link finish} waits for them and restores everything else. One restore runs at a
 * time (index builds never take more sessions than the final step would) and takes everything queued
 * meanwhile, so a database of many small tables does not pay a pg_restore start per table. The first failure
 * is kept, aborts {@link signal} (the copy stops) and is thrown by {@link finish}; nothing more starts after it.
 *
 * @example
 * const post = new PostDataPipeline({ toc, objects, copied, restore });
 * // … on each table's last row: post.tableLoaded("public.res_partner")
 * const { early, late } = await post.finish();
 */
export class PostDataPipeline {
  private readonly byTable = new Map<string, string[]>();
  private readonly foreignKeys: { line: string; table: string; refTable: string }[] = [];
  /** Entries queued or restored early. */
  private readonly early = new Set<string>();
  private readonly built = new Set<string>();
  private readonly lines: string[];
  private readonly aborter = new AbortController();
  /** Queued: entries, and the tables whose own entries they include. */
  private queued: { lines: string[]; tables: string[]; foreignKeysOf: string[] } = { lines: [], tables: [], foreignKeysOf: [] };
  private running: Promise<void> | undefined;
  private error: unknown;

  constructor(private readonly options: PostDataPipelineOptions) {
    const copied = new Set(options.copied);
    const objects = new Map(options.objects.filter((o) => copied.has(o.table) && (!o.refTable || copied.has(o.refTable))).map((o) => [o.key, o]));
    this.lines = options.toc.split("\n").filter((l) => l.trim() && !l.trimStart().startsWith(";"));
    for (const line of this.lines) {
      const o = objects.get(tocKey(line) ?? "");
      if (!o) continue;
      if (o.refTable) this.foreignKeys.push({ line, table: o.table, refTable: o.refTable });
      else {
        const own = this.byTable.get(o.table);
        if (own) own.push(line);
        else this.byTable.set(o.table, [line]);
      }
    }
  }

  /** Aborted with the first failure of an early restore. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /** The first failure of an early restore, if any. */
  get failure(): unknown {
    return this.error;
  }

  /** Call when every row of `table` (`schema.name`) is in. */
  tableLoaded(table: string): void {
    const own = this.byTable.get(table) ?? [];
    for (const l of own) this.early.add(l);
    this.queued.lines.push(...own);
    this.queued.tables.push(table);
    this.pump();
  }

  private pump(): void {
    // Nothing starts after a failure or close (both abort the signal).
    if (this.running || this.aborter.signal.aborted || (!this.queued.tables.length && !this.queued.lines.length)) return;
    const batch = this.queued;
    this.queued = { lines: [], tables: [], foreignKeysOf: [] };
    const restore = async () => {
      if (batch.lines.length) await this.options.restore(batch.lines, describe(batch.tables, batch.foreignKeysOf), this.aborter.signal);
      for (const t of batch.tables) this.built.add(t);
      // Foreign keys whose two tables now have their indexes go with the next restore.
      for (const fk of this.foreignKeys) {
        if (this.early.has(fk.line) || !this.built.has(fk.table) || !this.built.has(fk.refTable)) continue;
        this.early.add(fk.line);
        this.queued.lines.push(fk.line);
        if (!this.queued.foreignKeysOf.includes(fk.table)) this.queued.foreignKeysOf.push(fk.table);
      }
    };
    // `then` callbacks always run later, so `running` is set before it is cleared, even when the restore has
    // nothing to wait for.
    this.running = restore()
      .catch((e: unknown) => {
        this.error = e;
        this.aborter.abort(e);
      })
      .then(() => {
        this.running = undefined;
        this.pump();
      });
  }

  /** Stops the early restores (the copy failed) and waits for the running one to end. */
  async close(): Promise<void> {
    this.aborter.abort();
    await this.settled();
  }

  private async settled(): Promise<void> {
    // A restore may queue another (foreign keys): wait until nothing runs.
    while (this.running) await this.running;
  }

  /**
   * Waits for the early restores, then restores every other post-data entry. Resolves with how many entries
   * were restored early and late.
   */
  async finish(): Promise<{ early: number; late: number }> {
    await this.settled();
    if (this.error !== undefined) throw this.error;
    if (this.aborter.signal.aborted) throw new Error("the post-data pipeline was closed");
    const late = this.lines.filter((l) => !this.early.has(l));
    if (late.length) await this.options.restore(late, "the rest of post-data", this.aborter.signal);
    return { early: this.early.size, late: late.length };
  }
}

/** "the indexes and constraints of public.a, public.b and 3 more tables, the foreign keys of public.c" */
function describe(tables: string[], foreignKeysOf: string[]): string {
  const list = (names: string[]) => (names.length <= 3 ? names.join(", ") : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more tables`);
  const parts = [];
  if (tables.length) parts.push(`the indexes and constraints of ${list(tables)}`);
  if (foreignKeysOf.length) parts.push(`the foreign keys of ${list(foreignKeysOf)}`);
  return parts.join(", ");
}

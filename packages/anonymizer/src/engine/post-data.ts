// Post-data (indexes and constraints) overlapped with the copy. The copy keeps both cores busy, but the
// post-data step after it did not: a table's indexes are built one per session, and the last, longest ones ran
// alone (about a quarter of two cores idle for 6-7 s in the 1M-row benchmark). So a table's own indexes and
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
 * Builds post-data while the data is copied: {@link tableLoaded} once a table's last rows are in starts its
 * indexes and constraints (one restore at a time, so index builds never take more sessions than the final
 * step would); {@link finish} waits for them and restores everything else. The first failure is kept, aborts
 * {@link signal} (the copy stops) and is thrown by {@link finish}; nothing more starts after it.
 *
 * @example
 * const post = new PostDataPipeline({ toc, objects, copied, restore });
 * // … on each table's last row: post.tableLoaded("public.res_partner")
 * const { early, late } = await post.finish();
 */
export class PostDataPipeline {
  private readonly byTable = new Map<string, string[]>();
  private readonly foreignKeys: { line: string; table: string; refTable: string }[] = [];
  private readonly early = new Set<string>();
  private readonly built = new Set<string>();
  private readonly lines: string[];
  private readonly aborter = new AbortController();
  private chain: Promise<void> = Promise.resolve();
  private error: unknown;

  constructor(private readonly options: PostDataPipelineOptions) {
    const copied = new Set(options.copied);
    const objects = new Map(options.objects.filter((o) => copied.has(o.table) && (!o.refTable || copied.has(o.refTable))).map((o) => [o.key, o]));
    this.lines = options.toc.split("\n").filter((l) => l.trim() && !l.trimStart().startsWith(";"));
    for (const line of this.lines) {
      const o = objects.get(tocKey(line) ?? "");
      if (!o) continue;
      if (o.refTable) this.foreignKeys.push({ line, table: o.table, refTable: o.refTable });
      else this.byTable.set(o.table, [...(this.byTable.get(o.table) ?? []), line]);
    }
  }

  /** Aborted with the first failure of an early restore. */
  get signal(): AbortSignal {
    return this.aborter.signal;
  }

  /** Call when every row of `table` (`schema.name`) is in. */
  tableLoaded(table: string): void {
    this.enqueue(this.byTable.get(table) ?? [], `the indexes and constraints of ${table}`, () => {
      this.built.add(table);
      // Foreign keys whose two tables now have their indexes, in one restore.
      const ready = this.foreignKeys.filter((fk) => !this.early.has(fk.line) && this.built.has(fk.table) && this.built.has(fk.refTable));
      for (const fk of ready) this.early.add(fk.line);
      this.enqueue(
        ready.map((fk) => fk.line),
        `the foreign keys of ${[...new Set(ready.map((fk) => fk.table))].join(", ")}`,
      );
    });
  }

  private enqueue(lines: string[], what: string, then?: () => void): void {
    for (const l of lines) this.early.add(l);
    this.chain = this.chain.then(async () => {
      if (this.error !== undefined) return;
      try {
        if (lines.length) await this.options.restore(lines, what, this.aborter.signal);
        then?.();
      } catch (e) {
        this.error = e;
        this.aborter.abort(e);
      }
    });
  }

  /** The first failure of an early restore, if any. */
  get failure(): unknown {
    return this.error;
  }

  /** Stops the early restores (the copy failed) and waits for them to end. */
  async close(): Promise<void> {
    if (this.error === undefined) this.error = new Error("closed");
    this.aborter.abort();
    await this.settled();
  }

  private async settled(): Promise<void> {
    // A restore may queue another (foreign keys): wait until the chain stops growing.
    for (let c = this.chain; ; c = this.chain) {
      await c;
      if (c === this.chain) return;
    }
  }

  /**
   * Waits for the early restores, then restores every other post-data entry. Resolves with how many entries
   * were restored early and late.
   */
  async finish(): Promise<{ early: number; late: number }> {
    await this.settled();
    if (this.error !== undefined) throw this.error;
    const late = this.lines.filter((l) => !this.early.has(l));
    if (late.length) await this.options.restore(late, "the rest of post-data", this.aborter.signal);
    return { early: this.early.size, late: late.length };
  }
}

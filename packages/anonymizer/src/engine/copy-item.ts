import { describeStatement, OperationFailedError, quoteIdent } from "@odoo-deploy/core/base";
import { pipeline } from "node:stream/promises";
import type pg from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import type { PlannedTable } from "../check/plan.js";
import { BinaryCopyTransform } from "../copy/binary-transform.js";
import { GatherChunks } from "../copy/gather.js";
import type { Arena } from "../accelerator/arena.js";
import { CopyRowTransform, type RowTransformSpec } from "../copy/row-transform.js";

/** What one COPY of a table (or of a range of it) moved. */
export interface CopyItemResult {
  rows: number;
  /** COPY bytes read from the source. */
  bytes: number;
  /** Whether some columns were transformed (else the bytes were copied through). */
  transformed: boolean;
}

/**
 * Streams one table (or a range of it) `COPY … TO STDOUT` on `source` → row transform → `COPY … FROM STDIN` on
 * `target`. Columns without a transform pass as raw bytes; a table without any transform is not parsed at all.
 * `arena`: the worker's accelerator (none: the reference paths).
 * `onProgress` receives running totals.
 *
 * @example await copyItem(source, target, planned, undefined, compileTable(planned, anonymizer), new Arena(), signal, () => {});
 */
export async function copyItem(
  source: pg.Client,
  target: pg.Client,
  table: PlannedTable,
  range: string | undefined,
  spec: RowTransformSpec,
  arena: Arena | undefined,
  signal: AbortSignal,
  onProgress: (rows: number, bytes: number) => void,
): Promise<CopyItemResult> {
  const cols = table.columns.map((c) => quoteIdent(c.name)).join(", ");
  const conditions = [table.filter, range].filter(Boolean);
  // Binary format when the table allows it: less work for PostgreSQL on both sides, and no escaping here.
  const format = spec.binary ? " (FORMAT binary)" : "";
  // A plain COPY of a table reads the heap directly (and never rows of child tables, like FROM ONLY).
  const out = conditions.length
    ? `COPY (SELECT ${cols} FROM ONLY ${table.info.sql} WHERE ${conditions.join(" AND ")}\n) TO STDOUT${format}`
    : `COPY ${table.info.sql} (${cols}) TO STDOUT${format}`;
  // A COPY stream goes through the simple query protocol, which runs every statement of its text: the server
  // parses this very text first, in the extended protocol, which refuses more than one (a rule's `where` that
  // closed the parenthesis and went on with `; COMMIT; DROP …` would stop here, before anything ran).
  if (conditions.length) {
    await describeStatement(source, out).catch((e: unknown) => {
      throw new OperationFailedError(`${table.info.ruleName}: the source server refused the COPY of its rows: ${(e as Error).message}`, { code: "COPY_REFUSED", cause: e });
    });
  }
  const copyOut = source.query(copyTo(out));
  const copyIn = target.query(copyFrom(`COPY ${table.info.sql} (${cols}) FROM STDIN${format}`));
  // A table without any transform is copied through without being parsed.
  const tr = !spec.transforms.some(Boolean) ? undefined : spec.binary ? new BinaryCopyTransform(spec, { arena }) : new CopyRowTransform(spec, { arena });
  let bytes = 0;
  if (!tr) copyOut.on("data", (chunk: Buffer) => (bytes += chunk.length));
  const current = (): [number, number] => (tr ? [tr.stats.rows, tr.stats.bytesIn] : [0, bytes]);
  const timer = setInterval(() => onProgress(...current()), 250);
  try {
    await (tr ? pipeline(copyOut, tr, copyIn, { signal }) : pipeline(copyOut, new GatherChunks(), copyIn, { signal }));
  } finally {
    clearInterval(timer);
  }
  const rows = tr ? tr.stats.rows : Number((copyIn as unknown as { rowCount?: number }).rowCount ?? 0);
  const read = current()[1];
  onProgress(rows, read);
  return { rows, bytes: read, transformed: tr !== undefined };
}

/**
 * Old stagings kept after a refresh, and only ours: every staging a refresh builds carries a marker in its
 * database comment (comments follow renames), so the stagings it later puts aside are recognisable, and a
 * database nobody refreshed (the first staging, made by hand) is never dropped.
 */
import { rm } from "node:fs/promises";
import path from "node:path";
import { quoteIdent, quoteLiteral, withClient, withDatabase } from "@odoo-deploy/core/base";

const MARKER = "odoo-deploy staging refresh ";

/** The database comment marking a copy built by the refresh `id` for the staging database `staging`. */
export function stagingMarker(id: string, staging: string): string {
  return `${MARKER}${JSON.stringify({ id, staging, createdAt: new Date().toISOString() })}`;
}

/** Marks `database` (the new copy, under its temporary name) as built by the refresh `id` of `staging`. */
export async function markStaging(dbUrl: string, database: string, id: string, staging: string, signal?: AbortSignal): Promise<void> {
  await withClient(withDatabase(dbUrl, "postgres"), async (c) => void (await c.query(`COMMENT ON DATABASE ${quoteIdent(database)} IS ${quoteLiteral(stagingMarker(id, staging))}`)), { signal, applicationName: "odoo-deploy refresh-staging" });
}

/** What {@link pruneOldStagings} did. */
export interface PruneResult {
  dropped: string[];
  kept: string[];
  /** Stagings that could not be dropped (someone connected, no privilege), with why. */
  failed: string[];
}

/**
 * Drops the stagings earlier refreshes put aside beyond the `keep` newest, with their filestores (named after
 * them beside `filestoreDir`, as the swap names them). The serving staging `database` is never a candidate.
 *
 * @example await pruneOldStagings({ dbUrl, database: "staging", keep: 1, filestoreDir: "/var/lib/odoo/filestore/staging" });
 */
export async function pruneOldStagings(o: { dbUrl: string; database: string; keep: number; filestoreDir?: string; signal?: AbortSignal }): Promise<PruneResult> {
  const out: PruneResult = { dropped: [], kept: [], failed: [] };
  await withClient(
    withDatabase(o.dbUrl, "postgres"),
    async (c) => {
      const rows = (
        await c.query<{ datname: string; comment: string }>(
          "SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE starts_with(shobj_description(oid, 'pg_database'), $1) AND datname <> $2",
          [MARKER, o.database],
        )
      ).rows;
      const aside = rows
        .map((r) => ({ name: r.datname, ...markerOf(r.comment) }))
        // Only this staging's: another staging on the cluster, and its copy being built, are not ours to drop.
        .filter((r) => r.createdAt !== undefined && r.staging === o.database)
        .sort((a, b) => b.createdAt!.localeCompare(a.createdAt!));
      for (const [i, r] of aside.entries()) {
        if (i < o.keep) {
          out.kept.push(r.name);
          continue;
        }
        try {
          await c.query(`DROP DATABASE ${quoteIdent(r.name)}`);
          out.dropped.push(r.name);
        } catch (e) {
          out.failed.push(`${r.name}: ${(e as Error).message}`);
          continue;
        }
        if (o.filestoreDir && path.basename(o.filestoreDir) === o.database) await rm(path.join(path.dirname(o.filestoreDir), r.name), { recursive: true, force: true });
      }
    },
    { signal: o.signal, applicationName: "odoo-deploy refresh-staging" },
  );
  return out;
}

function markerOf(comment: string): { createdAt?: string; staging?: string } {
  try {
    const v = JSON.parse(comment.slice(MARKER.length)) as { createdAt?: unknown; staging?: unknown };
    return { ...(typeof v.createdAt === "string" ? { createdAt: v.createdAt } : {}), ...(typeof v.staging === "string" ? { staging: v.staging } : {}) };
  } catch {
    return {};
  }
}

/**
 * The refresh's own journal, beside the swap journals: what a killed run had done to the staging *service* (the
 * swap journal covers the databases and directories). From the moment the service is stopped until the new
 * staging is proven healthy, `<journalDir>/refresh-<id>.json` says which phase the run was in, so the next run can
 * put the old staging back and start it.
 */
import { readdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { atomicWriteJson, currentOwner, isRunId, type ProcessOwner, type ServiceTarget } from "@odoo-deploy/core";

/** Phases after which a killed run leaves something for the next one to settle. */
export type RefreshPhase =
  /** The service is being (or was) stopped; the swap may not have been committed. */
  | "stopping"
  /** The swap committed: the new staging is in place but not proven; the service may be down. */
  | "swapped";

/** One refresh's record of what it did to the staging service. */
export interface RefreshState extends ProcessOwner {
  kind: "odoo-deploy refresh";
  version: 1;
  id: string;
  /** serverIdentity of the staging cluster. */
  server: string;
  database: string;
  phase: RefreshPhase;
  /** What the service ran before the refresh, to start it again. */
  serviceTarget: ServiceTarget;
  /** After `swapped`: where the old staging database and filestore went. */
  asideDatabase?: string;
  filestoreDir?: string;
  asideFilestoreDir?: string;
}

/** Where a run's state is written. */
export function refreshStateFile(journalDir: string, id: string): string {
  return path.join(journalDir, `refresh-${id}.json`);
}

/** Writes (atomically, fsynced) the state of this run. */
export async function writeRefreshState(journalDir: string, state: RefreshState): Promise<void> {
  await atomicWriteJson(refreshStateFile(journalDir, state.id), state);
}

/** Removes a run's state (the service is as the run wants it to be). */
export async function removeRefreshState(journalDir: string, id: string): Promise<void> {
  await rm(refreshStateFile(journalDir, id), { force: true });
}

/** Builds the state of this process's run. */
export function newRefreshState(fields: Omit<RefreshState, "kind" | "version" | keyof ProcessOwner>): RefreshState {
  return { kind: "odoo-deploy refresh", version: 1, ...fields, ...currentOwner() };
}

/**
 * States left by earlier runs refreshing `database` on `server`, oldest first. Called under the refresh lock,
 * which a live run would hold: every run that left one is gone.
 */
export async function killedRefreshes(journalDir: string, server: string, database: string): Promise<RefreshState[]> {
  const names = await readdir(journalDir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return [] as string[];
    throw e;
  });
  const out: RefreshState[] = [];
  for (const name of names.sort()) {
    const m = /^refresh-(.+)\.json$/.exec(name);
    if (!m || !isRunId(m[1]!)) continue;
    const state = JSON.parse(await readFile(path.join(journalDir, name), "utf8")) as RefreshState;
    if (state.kind !== "odoo-deploy refresh" || state.id !== m[1] || state.server !== server || state.database !== database) continue;
    out.push(state);
  }
  return out;
}

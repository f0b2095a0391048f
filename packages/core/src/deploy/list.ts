/**
 * `odoo-deploy deploy list`: the deploys and rollbacks of the journal, newest first, with what each left to go
 * back to.
 */
import { durationSince, type ReportBase } from "../report.js";
import { DeployJournal, type DeployStatus } from "./journal.js";

/** One deploy or rollback of the journal. */
export interface DeployListEntry {
  id: string;
  kind: "deploy" | "rollback";
  database: string;
  status: DeployStatus;
  startedAt: string;
  endedAt?: string;
  from: { image?: string; revision?: string };
  to: { image?: string; revision?: string };
  /** The step under way when the run ended, for unfinished entries. */
  interruptedDuring?: string;
  /** The rollback point still kept for it. */
  rollbackPoint?: string;
  backup?: string;
  undoneBy?: string;
  undoes?: string;
  failedDatabase?: string;
}

/** Options of {@link listDeploys}. */
export interface ListDeploysOptions {
  /** The backups directory (the journal is its `deploys/`). */
  backupDir: string;
  /** Only this database's. */
  database?: string;
}

/** Report of {@link listDeploys}. */
export interface ListDeploysReport extends ReportBase {
  journal: string;
  deploys: DeployListEntry[];
  /** Entries a crash left unfinished: the next deploy or rollback finishes them. */
  unfinished: string[];
  checks: [];
}

/**
 * @example const { deploys, unfinished } = await listDeploys({ backupDir: "/var/backups/odoo", database: "prod" });
 */
export async function listDeploys(o: ListDeploysOptions): Promise<ListDeploysReport> {
  const start = performance.now();
  const journal = new DeployJournal(o.backupDir);
  const entries = (await journal.list()).filter((e) => !o.database || e.database === o.database).reverse();
  const code = (c: { image?: string; revision?: string }) => ({ ...(c.image ? { image: c.image } : {}), ...(c.revision ? { revision: c.revision } : {}) });
  const deploys: DeployListEntry[] = entries.map((e) => ({
    id: e.id,
    kind: e.kind,
    database: e.database,
    status: e.status,
    startedAt: e.startedAt,
    ...(e.endedAt ? { endedAt: e.endedAt } : {}),
    from: code(e.from),
    to: code(e.to),
    ...(e.status === "running" || e.status === "rolling-back" ? { interruptedDuring: e.rollback?.current?.name ?? e.current?.name ?? "between steps" } : {}),
    ...(e.rollbackPoint && !e.rollbackPointDropped ? { rollbackPoint: e.rollbackPoint.database } : {}),
    ...(e.backup ? { backup: e.backup.path } : {}),
    ...(e.undoneBy ? { undoneBy: e.undoneBy } : {}),
    ...(e.undoes ? { undoes: e.undoes } : {}),
    ...(e.failedDatabase && !e.failedDropped ? { failedDatabase: e.failedDatabase } : {}),
  }));
  return { ok: true, durationMs: durationSince(start), journal: journal.dir, deploys, unfinished: deploys.filter((d) => d.interruptedDuring).map((d) => d.id), checks: [] };
}

import { AbortedError, EnvironmentError, OdooDeployError, OperationFailedError, UsageError } from "@odoo-deploy/core/base";
import type { PlannedTable } from "../check/plan.js";
import type { CopyItemResult } from "./copy-item.js";

/** What a copy worker is started with (structured-cloned into the thread). */
export interface CopyWorkerInit {
  sourceUrl: string;
  targetUrl: string;
  /** The exported snapshot every reader joins, so all workers see one consistent database. */
  snapshot: string;
  secret: string;
  locale: string;
  applicationName: string;
  /** The copied tables; work items refer to them by index. */
  tables: PlannedTable[];
  /** Whether tables may use COPY's binary format (see compileTable). */
  binary: boolean;
  /** Only the reference (string) paths: no arena (see AnonymizeDatabaseOptions.reference). */
  reference: boolean;
}

/** Main thread → worker. */
export type ToWorker = { type: "item"; id: number; table: number; range?: string } | { type: "end" };

/** A serialized error (errors lose their class crossing threads). */
export interface WireError {
  message: string;
  name?: string;
  code?: string;
  category?: string;
  details?: Record<string, unknown>;
  stack?: string;
}

/** Worker → main thread. Progress figures are running totals of the current item. */
export type FromWorker =
  | { type: "ready" }
  | { type: "progress"; id: number; rows: number; bytes: number }
  | { type: "done"; id: number; result: CopyItemResult; durationMs: number; fakeValues: number }
  | { type: "closed"; fakeValues: number }
  | { type: "error"; error: WireError };

/** @example port.postMessage({ type: "error", error: toWire(e) }) */
export function toWire(e: unknown): WireError {
  if (e instanceof OdooDeployError) return { message: e.message, name: e.name, code: e.code, category: e.category, details: e.details, ...(e.stack ? { stack: e.stack } : {}) };
  if (e instanceof Error) {
    // PostgreSQL errors (pg's DatabaseError): keep what says which row or constraint failed.
    const pgError = e as Error & { code?: string; detail?: string; constraint?: string; table?: string; column?: string; where?: string };
    const details = Object.fromEntries(
      (["code", "detail", "constraint", "table", "column", "where"] as const).filter((k) => typeof pgError[k] === "string").map((k) => [k === "code" ? "sqlstate" : k, pgError[k]]),
    );
    return { message: e.message, name: e.name, details, ...(e.stack ? { stack: e.stack } : {}) };
  }
  return { message: String(e) };
}

/** Rebuilds a typed error from its wire form. @example throw fromWire(msg.error) */
export function fromWire(w: WireError): OdooDeployError {
  const options = { ...(w.code ? { code: w.code } : {}), details: w.details ?? {} };
  switch (w.category) {
    case "usage":
      return new UsageError(w.message, options);
    case "environment":
      return new EnvironmentError(w.message, options);
    case "interrupted":
      return new AbortedError(w.message);
    case "failed":
      return new OperationFailedError(w.message, options);
    default:
      return new OperationFailedError(`copying data failed: ${w.message}`, { code: "COPY_FAILED", details: { error: w.name ?? "Error", ...w.details } });
  }
}

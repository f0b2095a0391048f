/**
 * The shapes every primitive's report and events share (CONVENTIONS.md "Reports").
 */

/** Outcome of one check or step. */
export type CheckStatus = "ok" | "failed" | "skipped";

/**
 * One named check or step of a report.
 *
 * @example const c: Check = { name: "sha256", status: "ok", durationMs: 12 };
 */
export interface Check {
  name: string;
  status: CheckStatus;
  detail?: string;
  durationMs?: number;
}

/** Fields every report has. */
export interface ReportBase {
  ok: boolean;
  durationMs: number;
}

/** A progress event: a plain object keyed by `type` ("area:what"). */
export interface EventBase {
  type: `${string}:${string}`;
}

/** Callback receiving progress events. */
export type EventHandler<E extends EventBase> = (event: E) => void;

/**
 * Runs `fn`, timing it, and turns its outcome into a {@link Check}: a thrown error becomes `failed` with the
 * error's message as detail; a returned string becomes the detail of an `ok` check; `false` fails the check.
 *
 * @example const check = await timedCheck("toc", async () => tocHasTables ? "422 tables" : false);
 */
export async function timedCheck(
  name: string,
  fn: () => Promise<string | boolean | { status: CheckStatus; detail?: string }>,
): Promise<Check> {
  const start = performance.now();
  const done = (status: CheckStatus, detail?: string): Check => ({
    name,
    status,
    ...(detail === undefined ? {} : { detail }),
    durationMs: Math.round(performance.now() - start),
  });
  try {
    const r = await fn();
    if (typeof r === "string") return done("ok", r);
    if (typeof r === "boolean") return done(r ? "ok" : "failed");
    return done(r.status, r.detail);
  } catch (e) {
    return done("failed", e instanceof Error ? e.message : String(e));
  }
}

/** Milliseconds since `start` (a `performance.now()` value), rounded. @example durationSince(t0) */
export function durationSince(start: number): number {
  return Math.round(performance.now() - start);
}

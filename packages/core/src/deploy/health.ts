/**
 * Health after a start: `waitForHealthy` with the database (its login page must load), then each smoke path
 * must answer 200 within what is left of the same deadline.
 */
import { OperationFailedError } from "../errors.js";
import { waitForHealthy, type HealthEvent, type HealthReport } from "../health/wait-for-healthy.js";

/** How often health is polled after a start (downtime lasts until it passes). */
export const HEALTH_POLL = { initialDelayMs: 100, maxDelayMs: 1000 } as const;

/** Options of {@link checkServiceHealth}. */
export interface ServiceHealthOptions {
  url: string;
  dbName: string;
  timeoutMs?: number;
  smokePaths?: string[];
  signal?: AbortSignal;
  onEvent?: (e: HealthEvent) => void;
}

/**
 * Waits for the server to be healthy, then asks every smoke path; throws a judged failure (with the health
 * report in its details) when either does not pass.
 *
 * @example const health = await checkServiceHealth({ url: "http://odoo:8069", dbName: "prod", smokePaths: ["/shop"] });
 */
export async function checkServiceHealth(o: ServiceHealthOptions): Promise<HealthReport> {
  const started = performance.now();
  const timeoutMs = o.timeoutMs ?? 120_000;
  // The service is down until this passes: poll often (every 100 ms at first, at most every second).
  const health = await waitForHealthy({ url: o.url, dbName: o.dbName, timeoutMs, initialDelayMs: HEALTH_POLL.initialDelayMs, maxDelayMs: HEALTH_POLL.maxDelayMs, ...(o.signal ? { signal: o.signal } : {}), ...(o.onEvent ? { onEvent: o.onEvent } : {}) });
  if (!health.ok) throw new OperationFailedError(`not healthy: ${health.reason ?? "unknown"}`, { code: "UNHEALTHY", details: { health } });
  for (const p of o.smokePaths ?? []) {
    const url = new URL(p.replace(/^\/*/, ""), o.url.endsWith("/") ? o.url : `${o.url}/`);
    let last = "";
    for (;;) {
      const left = timeoutMs - (performance.now() - started);
      try {
        const res = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(Math.max(1000, Math.min(10_000, left))) });
        await res.arrayBuffer();
        if (res.status === 200) {
          health.checks.push({ name: `smoke ${p}`, status: "ok", detail: "200" });
          break;
        }
        last = `answered ${res.status}`;
      } catch (e) {
        last = (e as Error).message;
      }
      if (left <= 0 || o.signal?.aborted) {
        health.checks.push({ name: `smoke ${p}`, status: "failed", detail: last });
        health.ok = false;
        health.reason = `smoke ${p} ${last}`;
        throw new OperationFailedError(`smoke ${p}: ${last}`, { code: "SMOKE_FAILED", details: { health } });
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  return health;
}

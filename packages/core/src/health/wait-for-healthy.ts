import { AbortedError, UsageError } from "../errors.js";
import { durationSince, type Check, type EventHandler, type ReportBase } from "../report.js";
import { redactUrl } from "../util/redact.js";

/** Options of {@link waitForHealthy}. */
export interface WaitForHealthyOptions {
  /** Base URL of the Odoo server (`http://odoo:8069`). */
  url: string;
  /** When given, `/web/login?db=NAME` must answer 200 (after manual redirects, cookie kept): the registry loads. */
  dbName?: string;
  /** Total deadline in ms (default 120 000). No attempt and no wait goes past it. */
  timeoutMs?: number;
  /** Timeout of one attempt in ms (default 5 000), cut to what is left of the deadline. */
  attemptTimeoutMs?: number;
  /** First backoff delay in ms (default 250); doubles per attempt up to `maxDelayMs` (default 5 000), with jitter. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  /**
   * Ask `/web/health?db_server_status=1` (default true): later 17/18 builds then check PostgreSQL and answer
   * 500 `fail` when it is down; Odoo 16 ignores the parameter and answers `pass` even then.
   */
  dbServerStatus?: boolean;
  signal?: AbortSignal;
  onEvent?: EventHandler<HealthEvent>;
}

/** Progress of {@link waitForHealthy}. */
export type HealthEvent =
  | { type: "health:attempt"; attempt: number; ok: boolean; detail: string; durationMs: number }
  | { type: "health:wait"; attempt: number; delayMs: number; remainingMs: number };

/** Report of {@link waitForHealthy}: one check per attempt, `ok` when the last one passed. */
export interface HealthReport extends ReportBase {
  /** The base URL, credentials redacted. */
  url: string;
  dbName?: string;
  attempts: number;
  timeoutMs: number;
  /** Why the last attempt was not healthy (absent when ok). */
  reason?: string;
  checks: Check[];
}

interface Probe {
  ok: boolean;
  detail: string;
  /** No answer within the attempt's budget. */
  timedOut?: boolean;
}

const MAX_REDIRECTS = 5;

/**
 * Polls an Odoo server until it is healthy or the deadline passes: `/web/health` answering 200
 * `{"status": "pass"}` (with `db_server_status` where the server supports it), and with `dbName`,
 * `/web/login?db=NAME` answering 200 after manual redirects with the session cookie kept. Refused connections,
 * timeouts, 5xx, redirects to the database selector and wrong bodies all mean "not yet". Exponential backoff
 * with jitter; never throws for an unhealthy server (the report says why), only for a bad URL or an abort.
 *
 * @example
 * const report = await waitForHealthy({ url: "http://localhost:8069", dbName: "prod", timeoutMs: 120_000 });
 * if (!report.ok) console.error(report.reason);
 */
export async function waitForHealthy(options: WaitForHealthyOptions): Promise<HealthReport> {
  const start = performance.now();
  let base: URL;
  try {
    base = new URL(options.url);
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error("not http(s)");
  } catch {
    throw new UsageError(`health: not an http(s) URL: ${redactUrl(options.url)}`, { code: "INVALID_URL" });
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 5_000;
  const initialDelayMs = options.initialDelayMs ?? 250;
  const maxDelayMs = options.maxDelayMs ?? 5_000;
  const deadline = start + timeoutMs;
  const checks: Check[] = [];
  const abortIfNeeded = () => {
    if (options.signal?.aborted) throw new AbortedError("health check aborted");
  };
  let reason = "deadline passed before the first attempt";
  let ok = false;

  for (let attempt = 1; ; attempt++) {
    abortIfNeeded();
    const remaining = deadline - performance.now();
    if (remaining <= 0) break;
    const t = performance.now();
    const budgetMs = Math.max(1, Math.round(Math.min(attemptTimeoutMs, remaining)));
    const probe = await probeOnce(base, options, budgetMs);
    abortIfNeeded();
    const durationMs = durationSince(t);
    checks.push({ name: `attempt ${attempt}`, status: probe.ok ? "ok" : "failed", detail: probe.detail, durationMs });
    options.onEvent?.({ type: "health:attempt", attempt, ok: probe.ok, detail: probe.detail, durationMs });
    if (probe.ok) {
      ok = true;
      break;
    }
    // An attempt cut short by the deadline that got no answer says nothing new about the server: the report's
    // reason stays the last real answer (a 500, the database selector) rather than "no answer within 3 ms".
    const cutShort = budgetMs < attemptTimeoutMs && probe.timedOut === true;
    if (!cutShort || checks.length === 1) reason = probe.detail;
    const left = deadline - performance.now();
    if (left <= 0) break;
    const exp = Math.min(maxDelayMs, initialDelayMs * 2 ** (attempt - 1));
    // "equal jitter": half fixed, half random, so parallel waiters spread out
    const delayMs = Math.round(Math.min(left, exp / 2 + Math.random() * (exp / 2)));
    options.onEvent?.({ type: "health:wait", attempt, delayMs, remainingMs: Math.round(left) });
    await sleep(delayMs, options.signal);
  }

  return {
    ok,
    durationMs: durationSince(start),
    url: redactUrl(options.url),
    ...(options.dbName ? { dbName: options.dbName } : {}),
    attempts: checks.length,
    timeoutMs,
    ...(ok ? {} : { reason: checks.length ? `not healthy after ${checks.length} attempt(s): ${reason}` : reason }),
    checks,
  };
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

async function probeOnce(base: URL, o: WaitForHealthyOptions, timeoutMs: number): Promise<Probe> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), timeoutMs);
  const signal = o.signal ? AbortSignal.any([o.signal, timeout.signal]) : timeout.signal;
  try {
    const health = await checkHealth(base, o.dbServerStatus ?? true, signal);
    if (!health.ok || !o.dbName) return health;
    const login = await checkLogin(base, o.dbName, signal);
    return login.ok ? { ok: true, detail: `${health.detail}; ${login.detail}` } : login;
  } catch (e) {
    if (o.signal?.aborted) return { ok: false, detail: "aborted" };
    if (timeout.signal.aborted) return { ok: false, detail: `no answer within ${timeoutMs} ms`, timedOut: true };
    return { ok: false, detail: describeFetchError(e) };
  } finally {
    clearTimeout(timer);
  }
}

async function checkHealth(base: URL, dbServerStatus: boolean, signal: AbortSignal): Promise<Probe> {
  const url = new URL("web/health", withSlash(base));
  if (dbServerStatus) url.searchParams.set("db_server_status", "1");
  const res = await fetch(url, { redirect: "manual", signal, headers: { Accept: "application/json" } });
  const text = await res.text();
  if (res.status !== 200) return { ok: false, detail: `/web/health answered ${res.status}${statusBody(text)}` };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, detail: "/web/health answered 200 without JSON" };
  }
  const b = body as { status?: unknown; db_server_status?: unknown };
  if (b.status !== "pass") return { ok: false, detail: `/web/health status is ${JSON.stringify(b.status)}, not "pass"` };
  if (b.db_server_status === false) return { ok: false, detail: "/web/health: PostgreSQL unreachable (db_server_status false)" };
  return { ok: true, detail: b.db_server_status === true ? "/web/health pass, PostgreSQL reachable" : "/web/health pass" };
}

async function checkLogin(base: URL, dbName: string, signal: AbortSignal): Promise<Probe> {
  let url = new URL("web/login", withSlash(base));
  url.searchParams.set("db", dbName);
  const cookies = new Map<string, string>();
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const headers: Record<string, string> = {};
    if (cookies.size) headers.Cookie = [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    const res = await fetch(url, { redirect: "manual", signal, headers });
    for (const c of res.headers.getSetCookie()) {
      const m = /^([^=;\s]+)=([^;]*)/.exec(c);
      if (m) cookies.set(m[1]!, m[2]!);
    }
    await res.arrayBuffer();
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get("location");
      if (!location) return { ok: false, detail: `/web/login?db=${dbName} answered ${res.status} without Location` };
      const next = new URL(location, url);
      if (next.pathname.endsWith("/web/database/selector"))
        return { ok: false, detail: `database ${dbName} not available: /web/login redirects to the database selector` };
      url = next;
      continue;
    }
    if (res.status === 200) return { ok: true, detail: `/web/login?db=${dbName} answered 200` };
    return { ok: false, detail: `/web/login?db=${dbName} answered ${res.status}` };
  }
  return { ok: false, detail: `/web/login?db=${dbName}: more than ${MAX_REDIRECTS} redirects` };
}

function withSlash(u: URL): URL {
  const c = new URL(u);
  if (!c.pathname.endsWith("/")) c.pathname += "/";
  c.search = "";
  return c;
}

function statusBody(text: string): string {
  const t = text.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
  return t ? ` (${t.slice(0, 80)})` : "";
}

function describeFetchError(e: unknown): string {
  const cause = (e as { cause?: { code?: string; message?: string } } | undefined)?.cause;
  const code = cause?.code;
  if (code === "ECONNREFUSED") return "connection refused";
  if (code === "ECONNRESET" || code === "UND_ERR_SOCKET") return "connection reset";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return "host not found";
  if (code) return `${code}${cause?.message ? `: ${cause.message}` : ""}`;
  return e instanceof Error ? e.message : String(e);
}

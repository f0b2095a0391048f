/**
 * `--notify-url`: the outcome of a deploy or rollback POSTed as JSON, retried with backoff, never failing the
 * deploy (a chat being down must not turn a good deploy into a bad one).
 */
import { redactUrl } from "../util/redact.js";

/** What {@link notify} achieved. */
export interface NotifyOutcome {
  ok: boolean;
  attempts: number;
  detail: string;
}

/**
 * POSTs `body` as JSON to `url`, up to `attempts` times (default 3) with 1 s, 2 s… between them; a 2xx
 * answer is success. Never throws.
 *
 * @example const r = await notify("https://hooks.example.com/odoo", { id, ok: true });
 */
export async function notify(url: string, body: unknown, options: { attempts?: number; timeoutMs?: number; delayMs?: number } = {}): Promise<NotifyOutcome> {
  const attempts = options.attempts ?? 3;
  let detail = "";
  for (let i = 1; i <= attempts; i++) {
    try {
      const res = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", "User-Agent": "odoo-deploy" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        redirect: "manual",
      });
      await res.arrayBuffer().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return { ok: true, attempts: i, detail: `${redactUrl(url)} answered ${res.status}` };
      detail = `${redactUrl(url)} answered ${res.status}`;
    } catch (e) {
      detail = `${redactUrl(url)}: ${(e as Error).message}`;
    }
    if (i < attempts) await new Promise((r) => setTimeout(r, (options.delayMs ?? 1000) * 2 ** (i - 1)));
  }
  return { ok: false, attempts, detail };
}

/**
 * The HTTP side of the double (odoo-bin without --stop-after-init): /web/health, /web/login, the JSON-RPC
 * version_info, as in ../shared/odoo16-lab/logs/http-probes*.txt (and odoo17-lab, odoo18-lab), plus switchable
 * faults.
 *
 * Faults (see README.md): `ODOO_DOUBLE_FAULT` at start, overridden by the JSON control file named by
 * `ODOO_DOUBLE_CONTROL` (re-read on every request and every 100 ms): `{"fault": "none" | "500" | "503" |
 * "db-down" | "refused", "delayMs": N}`. `ODOO_DOUBLE_START_DELAY_MS` delays listening (slow start: connections
 * are refused until then). `ODOO_DOUBLE_VERSION` (16.0 default, 17.0, 18.0, or a nightly such as 17.0-20240709):
 * 18 answers `db_server_status` (16 and the verified 17 nightly ignore it and log so) and redirects `/` to `/odoo`.
 */
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import http from "node:http";
import type { ConnParams } from "./db.js";
import { Session } from "./db.js";
import { pyJson, type OdooLogger } from "./log.js";
import type { OdooVersion } from "./version.js";

export type Fault = "none" | "500" | "503" | "db-down" | "refused";

export interface HttpOptions {
  port: number;
  /** Connection to PostgreSQL, without the database. */
  conn: Omit<ConnParams, "database">;
  /** The `-d` database, when the server is pinned to one. */
  dbName?: string;
  version: OdooVersion;
  log: OdooLogger;
  /** True when the registry of `dbName` failed to load at start: every route answers 500 (exp-d2). */
  registryBroken: () => boolean;
}

interface Control {
  fault: Fault;
  delayMs: number;
}

const HTML_500 =
  '<!doctype html>\n<html lang=en>\n<title>500 Internal Server Error</title>\n<h1>Internal Server Error</h1>\n<p>The server encountered an internal error and was unable to complete your request. Either the server is overloaded or there is an error in the application.</p>\n';
const HTML_503 =
  "<!doctype html>\n<html lang=en>\n<title>503 Service Unavailable</title>\n<h1>Service Unavailable</h1>\n<p>The server is temporarily unable to service your request due to maintenance downtime or capacity problems.  Please try again later.</p>\n";
const redirectBody = (to: string) =>
  `<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the target URL: <a href="${to}">${to}</a>. If not, click the link.\n`;

function readControl(): Control {
  const fromEnv: Control = { fault: (process.env.ODOO_DOUBLE_FAULT as Fault | undefined) ?? "none", delayMs: Number(process.env.ODOO_DOUBLE_DELAY_MS ?? 0) };
  const file = process.env.ODOO_DOUBLE_CONTROL;
  if (!file || !existsSync(file)) return fromEnv;
  try {
    const c = JSON.parse(readFileSync(file, "utf8")) as Partial<Control>;
    return { fault: c.fault ?? fromEnv.fault, delayMs: c.delayMs ?? fromEnv.delayMs };
  } catch {
    return fromEnv;
  }
}

/** Starts the HTTP server; resolves once the start delay has passed (or at once). */
export async function startHttp(o: HttpOptions): Promise<{ close(): Promise<void> }> {
  const sessions = new Map<string, string | undefined>();
  const { major } = o.version;

  const canConnect = async (database: string): Promise<boolean> => {
    if (readControl().fault === "db-down") return false;
    try {
      const s = await Session.open({ ...o.conn, database });
      await s.close();
      return true;
    } catch {
      return false;
    }
  };
  const isOdooDb = async (database: string): Promise<boolean> => {
    if (readControl().fault === "db-down") return false;
    try {
      const s = await Session.open({ ...o.conn, database });
      try {
        return (await s.q("SELECT 1 FROM pg_class WHERE relname = 'ir_module_module'")).length > 0;
      } finally {
        await s.close();
      }
    } catch {
      return false;
    }
  };
  const listDbs = async (): Promise<string[] | undefined> => {
    if (readControl().fault === "db-down") return undefined;
    try {
      const s = await Session.open({ ...o.conn, database: "postgres" });
      try {
        return (await s.q<{ datname: string }>("SELECT datname FROM pg_database WHERE datistemplate = false AND datname <> 'postgres' ORDER BY datname")).map((r) => r.datname);
      } finally {
        await s.close();
      }
    } catch {
      return undefined;
    }
  };

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const control = readControl();
    if (control.delayMs > 0) await new Promise((r) => setTimeout(r, control.delayMs));
    // werkzeug answers absolute Location headers
    const abs = (to: string) => `http://${req.headers.host ?? "localhost"}${to}`;
    const send = (status: number, headers: Record<string, string | number>, body: string) => {
      // 17 and 18 send nosniff on every answer (http-probes.txt of odoo17-lab, odoo18-lab).
      const nosniff = major >= 17 ? { "X-Content-Type-Options": "nosniff" } : {};
      res.writeHead(status, { Server: "Werkzeug/2.2.2 Python/3.11.2", "Content-Length": Buffer.byteLength(body), ...headers, ...nosniff });
      res.end(body);
      o.log.info("werkzeug", `${req.socket.remoteAddress ?? "-"} - - "${req.method} ${req.url} HTTP/1.1" ${status} - 1 0.001 0.002`);
    };
    if (control.fault === "500" || o.registryBroken()) return send(500, { "Content-Type": "text/html; charset=utf-8" }, HTML_500);
    if (control.fault === "503") return send(503, { "Content-Type": "text/html; charset=utf-8" }, HTML_503);
    const cookie = /(?:^|;\s*)session_id=([0-9a-f]+)/.exec(req.headers.cookie ?? "")?.[1];
    let sid = cookie && sessions.has(cookie) ? cookie : undefined;
    const newSession = () => {
      sid = randomBytes(20).toString("hex");
      sessions.set(sid, undefined);
      return `session_id=${sid}; Expires=${new Date(Date.now() + 604800e3).toUTCString()}; Max-Age=604800; HttpOnly; Path=/`;
    };

    if (url.pathname === "/web/health") {
      const info: Record<string, unknown> = { status: "pass" };
      let status = 200;
      const asked = url.searchParams.get("db_server_status");
      // Werkzeug drops arguments the route does not take, and says so (Odoo 16, 17.0-20240709).
      if (asked !== null && major < 18) o.log.warning("odoo.http", "<function odoo.addons.web.controllers.home.health> called ignoring args {'db_server_status'}");
      if (major >= 18 && asked) {
        const up = await canConnect("postgres");
        info.db_server_status = up;
        if (!up) {
          info.status = "fail";
          status = 500;
        }
      }
      return send(status, { "Content-Type": "application/json", "Cache-Control": "no-store" }, pyJson(info));
    }
    if (url.pathname === "/web/webclient/version_info" && req.method === "POST") {
      let raw = "";
      for await (const chunk of req) raw += String(chunk);
      let id: unknown = null;
      try {
        id = (JSON.parse(raw || "{}") as { id?: unknown }).id ?? null;
      } catch {
        /* Odoo answers a JSON-RPC error; the double keeps id null */
      }
      const result = { server_version: o.version.server, server_version_info: [major, 0, 0, "final", 0, ""], server_serie: o.version.series, protocol_version: 1 };
      const body = pyJson({ jsonrpc: "2.0", id, result });
      return send(200, { "Content-Type": "application/json; charset=utf-8", "Set-Cookie": newSession() }, body);
    }
    if (url.pathname === "/web/login" || url.pathname === "/web" || url.pathname === "/" || (major >= 18 && url.pathname === "/odoo")) {
      const home = major >= 18 ? "/odoo" : "/web";
      if (url.pathname === "/") return send(303, { Location: abs(home), "Content-Type": "text/html; charset=utf-8" }, redirectBody(home));
      const dbParam = url.searchParams.get("db")?.trim() || undefined;
      const selector = () => send(303, { Location: abs("/web/database/selector"), "Content-Type": "text/html; charset=utf-8" }, redirectBody("/web/database/selector"));
      if (dbParam && (!sid || sessions.get(sid) === undefined)) {
        // ensure_db: a database asked on a new session — redirect to the same URL with the session cookie set
        const setCookie = newSession();
        sessions.set(sid!, dbParam);
        const to = `${url.pathname}${url.search}`;
        return send(302, { Location: abs(to), "Set-Cookie": setCookie, "Content-Type": "text/html; charset=utf-8" }, redirectBody(to));
      }
      let db = dbParam ?? (sid ? sessions.get(sid) : undefined) ?? o.dbName;
      if (!db) {
        const dbs = await listDbs();
        if (dbs?.length === 1) db = dbs[0];
      }
      if (!db || !(await isOdooDb(db))) {
        if (sid) sessions.set(sid, undefined);
        return selector();
      }
      if (url.pathname !== "/web/login") {
        // 18 sends the page asked for along (`/web/login?redirect=%2Fweb%3F`, http-probes.txt of odoo18-lab).
        const to = major >= 18 ? `/web/login?redirect=${encodeURIComponent(`${url.pathname}?`)}` : "/web/login";
        return send(303, { Location: abs(to), "Content-Type": "text/html; charset=utf-8" }, redirectBody(to));
      }
      const headers: Record<string, string> = { "Content-Type": "text/html; charset=utf-8", "X-Frame-Options": "SAMEORIGIN", "Content-Security-Policy": "frame-ancestors 'self'" };
      if (!sid) headers["Set-Cookie"] = newSession();
      sessions.set(sid!, db);
      const csrf = randomBytes(20).toString("hex");
      return send(
        200,
        headers,
        `<!DOCTYPE html>\n<html><head><title>Odoo</title></head><body data-db="${db}">\n<form class="oe_login_form" role="form" action="/web/login" method="post">\n<input type="hidden" name="csrf_token" value="${csrf}o1827305560"/>\n<input type="text" name="login" id="login"/>\n<input type="password" name="password" id="password"/>\n</form></body></html>\n`,
      );
    }
    return send(404, { "Content-Type": "text/html; charset=utf-8" }, "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n");
  };

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { "Content-Type": "text/html; charset=utf-8" });
      res.end(HTML_500);
    });
  });
  server.keepAliveTimeout = 1000;
  let listening = false;
  let startedAt = Date.now() + Number(process.env.ODOO_DOUBLE_START_DELAY_MS ?? 0);
  const sync = () => {
    const want = Date.now() >= startedAt && readControl().fault !== "refused";
    if (want && !listening) {
      listening = true;
      server.listen(o.port, "0.0.0.0");
      o.log.info("odoo.service.server", `HTTP service (werkzeug) running on ${process.env.HOSTNAME ?? "localhost"}:${o.port}`);
    } else if (!want && listening) {
      listening = false;
      server.close();
      server.closeAllConnections();
    }
  };
  await new Promise<void>((resolve) => {
    server.once("listening", () => resolve());
    sync();
    if (!listening) resolve();
  });
  const timer = setInterval(sync, 100);
  return {
    async close() {
      clearInterval(timer);
      startedAt = Infinity;
      if (listening) {
        listening = false;
        server.closeAllConnections();
        await new Promise((r) => server.close(() => r(undefined)));
      }
    },
  };
}

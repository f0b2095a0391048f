import pg from "pg";
import { AbortedError, EnvironmentError, UsageError } from "../errors.js";
import { redactUrl } from "../util/redact.js";

/** The subset of pg's Client that odoo-deploy uses; lets callers pass their own client. */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export interface ConnectOptions {
  /** Shown in pg_stat_activity; lets `migrate` tell its own sessions from a running Odoo's. */
  applicationName?: string;
  signal?: AbortSignal;
  /** Milliseconds to wait for the connection (default 10 s). */
  connectTimeoutMs?: number;
}

/**
 * Opens a connection to a PostgreSQL URL, translating failures into typed errors that name the (redacted)
 * URL: unreachable server and refused authentication are `EnvironmentError`s, a missing database too
 * (`DB_NOT_FOUND`).
 *
 * @example
 * const client = await connect("postgres:///odoo?host=/run/postgresql");
 * try { await client.query("select 1"); } finally { await client.end(); }
 */
export async function connect(url: string, options: ConnectOptions = {}): Promise<pg.Client> {
  if (options.signal?.aborted) throw new AbortedError();
  const client = new pg.Client({
    connectionString: url,
    application_name: options.applicationName ?? "odoo-deploy",
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
  client.on("error", () => {});
  const onAbort = () => void client.end().catch(() => {});
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await client.connect();
    return client;
  } catch (e) {
    await client.end().catch(() => {});
    if (options.signal?.aborted) throw new AbortedError();
    throw translatePgError(e, url);
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
  }
}

/**
 * Runs `fn` with a fresh connection and always closes it.
 *
 * @example const n = await withClient(url, async (c) => (await c.query("select 1 as x")).rows[0].x);
 */
export async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>, options: ConnectOptions = {}): Promise<T> {
  const client = await connect(url, options);
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Turns a pg connection error into a typed error with a clear message and the redacted URL.
 *
 * @example catch (e) { throw translatePgError(e, url); }
 */
export function translatePgError(e: unknown, url: string): Error {
  const err = e as { code?: string; message?: string };
  const where = redactUrl(url);
  const msg = err?.message ?? String(e);
  switch (err?.code) {
    case "ECONNREFUSED":
    case "ENOENT":
    case "EHOSTUNREACH":
    case "ETIMEDOUT":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return new EnvironmentError(`database server unreachable at ${where}: ${msg}`, { code: "DB_UNREACHABLE", cause: e });
    case "28P01":
    case "28000":
      return new EnvironmentError(`database authentication failed for ${where}: ${msg}`, { code: "DB_AUTH", cause: e });
    case "3D000":
      return new EnvironmentError(`database does not exist: ${where}: ${msg}`, { code: "DB_NOT_FOUND", cause: e });
    default:
      if (/timeout/i.test(msg)) {
        return new EnvironmentError(`database server did not answer at ${where}: ${msg}`, { code: "DB_UNREACHABLE", cause: e });
      }
      return new EnvironmentError(`database error at ${where}: ${msg}`, { code: "DB_ERROR", cause: e });
  }
}

/** The parts of a PostgreSQL URL that tools such as pg_dump need as separate values. */
export interface DbUrlParts {
  database: string | undefined;
  host: string | undefined;
  port: string | undefined;
  user: string | undefined;
  password: string | undefined;
}

/**
 * Splits a `postgres://` URL (including the `?host=/socket/dir` form) into its parts.
 *
 * @example parseDbUrl("postgres:///odoo?host=/tmp&port=5433").database // "odoo"
 */
export function parseDbUrl(url: string): DbUrlParts {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`not a PostgreSQL URL: ${redactUrl(url)} (expected postgres://user:password@host:port/dbname)`, {
      code: "BAD_DB_URL",
    });
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw new UsageError(`not a PostgreSQL URL: ${redactUrl(url)} (scheme must be postgres:// or postgresql://)`, {
      code: "BAD_DB_URL",
    });
  }
  const db = decodeURIComponent(u.pathname.replace(/^\//, ""));
  return {
    database: db || u.searchParams.get("dbname") || undefined,
    host: u.searchParams.get("host") ?? (u.hostname ? decodeURIComponent(u.hostname) : undefined),
    port: u.searchParams.get("port") ?? (u.port || undefined),
    user: u.username ? decodeURIComponent(u.username) : (u.searchParams.get("user") ?? undefined),
    password: u.password ? decodeURIComponent(u.password) : (u.searchParams.get("password") ?? undefined),
  };
}

/**
 * The same server URL pointing at another database (for scratch restores, `postgres` maintenance
 * connections, and swaps).
 *
 * @example withDatabase("postgres://u@h/prod", "postgres") // "postgres://u@h/postgres"
 */
export function withDatabase(url: string, database: string): string {
  parseDbUrl(url); // validates
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  u.searchParams.delete("dbname");
  return u.toString();
}

/**
 * Environment variables that make libpq tools (pg_dump, psql, pg_restore) connect where `url` points, so
 * passwords never appear on a command line.
 *
 * @example await runner.exec(["pg_dump", "-Fc"], { env: libpqEnv(url) })
 */
export function libpqEnv(url: string): Record<string, string> {
  const p = parseDbUrl(url);
  const env: Record<string, string> = {};
  if (p.host) env.PGHOST = p.host;
  if (p.port) env.PGPORT = p.port;
  if (p.user) env.PGUSER = p.user;
  if (p.password) env.PGPASSWORD = p.password;
  if (p.database) env.PGDATABASE = p.database;
  const u = new URL(url);
  const ssl = u.searchParams.get("sslmode");
  if (ssl) env.PGSSLMODE = ssl;
  return env;
}

/**
 * Quotes an SQL identifier (table, database name) for PostgreSQL.
 *
 * @example `DROP DATABASE ${quoteIdent('my "db"')}` // DROP DATABASE "my ""db"""
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

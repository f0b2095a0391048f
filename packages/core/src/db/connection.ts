import pg from "pg";
import { parseIntoClientConfig } from "pg-connection-string";
import { AbortedError, EnvironmentError, OdooDeployError, OperationFailedError, UsageError } from "../errors.js";
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
  /**
   * Makes every transaction of the session read-only (`SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`),
   * for sessions on a database that must not be written, such as an anonymizer's source.
   */
  readOnly?: boolean;
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
    ...clientConfig(url),
    application_name: options.applicationName ?? "odoo-deploy",
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
  });
  // An idle client whose server goes away emits 'error'; without a listener that would crash the process.
  client.on("error", () => {});
  const onAbort = () => void client.end().catch(() => {});
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await client.connect();
    if (options.readOnly) await client.query("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
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
 * The pg client settings for a URL, with the database, host, port, user and password read by {@link parseDbUrl}
 * — the same values {@link libpqEnv} gives pg_dump and psql — and the rest (TLS, `options`) as pg reads it.
 * pg alone reads a URL differently from libpq: it ignores `?dbname=`, leaves `%2F` and other reserved characters
 * of a database name encoded, and lets `?user=` win over the user before the `@`. Connections and tools must reach
 * the same database, or a check made on one says nothing about what the other writes.
 *
 * @example new pg.Client(clientConfig("postgres:///?dbname=prod&host=/run/postgresql")) // database "prod"
 */
export function clientConfig(url: string): pg.ClientConfig {
  const p = parseDbUrl(url);
  const { database: _d, host: _h, port: _p, user: _u, password: _pw, ...rest } = parseIntoClientConfig(url);
  // Undefined parts fall back to PG* variables and pg's defaults, as before.
  return { ...rest, database: p.database, host: p.host, port: p.port === undefined ? undefined : Number(p.port), user: p.user, password: p.password };
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

/**
 * A PostgreSQL error raised by a statement (it has a SQLSTATE `code`) as a typed error naming what was being
 * done: missing privileges, exhausted resources (a full disk) and lost connections are the environment's
 * (exit 3); anything else the server refused is a failed operation (exit 1). Errors without a SQLSTATE, and
 * errors already typed, are returned unchanged.
 *
 * @example await c.query(`CREATE DATABASE ${quoteIdent(n)}`).catch((e) => { throw typedQueryError(e, `creating ${n}`); });
 */
export function typedQueryError(e: unknown, what: string): unknown {
  if (e instanceof OdooDeployError) return e;
  const code = (e as { code?: unknown })?.code;
  if (typeof code !== "string" || !/^[0-9A-Z]{5}$/.test(code)) return e;
  const message = `${what}: ${(e as Error).message} (SQLSTATE ${code})`;
  const options = { code: `PG_${code}`, cause: e, details: { sqlstate: code } };
  if (code === "42501" || code.startsWith("53") || code.startsWith("08") || code.startsWith("57") || code === "3D000") {
    return new EnvironmentError(message, options);
  }
  return new OperationFailedError(message, options);
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
  // Messages show the URL through redactUrl, which takes the whole string as one URL: an unencoded `#`, `/`,
  // `?` or space in the password (what usually makes a URL unparseable) does not leave part of it visible.
  const bad = (why: string) =>
    new UsageError(`not a PostgreSQL URL: ${redactUrl(url)} (${why})`, { code: "BAD_DB_URL" });
  const encodeHint = "percent-encode any of : / ? # @ % or spaces in the user name and password";
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad(`expected postgres://[user[:password]@]host[:port]/dbname; ${encodeHint}`);
  }
  if (u.protocol !== "postgres:" && u.protocol !== "postgresql:") {
    throw bad("scheme must be postgres:// or postgresql://");
  }
  // `postgres://u:12/x@h/db` parses, as host u, port 12 and database "x@h/db": an unencoded `/` in the password.
  if (u.pathname.includes("@") || u.hash.includes("@")) throw bad(`an '@' after the host; ${encodeHint}`);
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw bad(`a '%' that starts no escape; ${encodeHint}`);
    }
  };
  const db = decode(u.pathname.replace(/^\//, ""));
  // An IPv6 address is bracketed in a URL, bare for libpq (PGHOST) and pg.
  const hostname = u.hostname.replace(/^\[(.+)\]$/, "$1");
  return {
    database: db || u.searchParams.get("dbname") || undefined,
    host: u.searchParams.get("host") ?? (hostname ? decode(hostname) : undefined),
    port: u.searchParams.get("port") ?? (u.port || undefined),
    user: u.username ? decode(u.username) : (u.searchParams.get("user") ?? undefined),
    password: u.password ? decode(u.password) : (u.searchParams.get("password") ?? undefined),
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
 * A libpq connection string holding only `dbname`, single-quoted with `\` and `'` escaped, for tools that need the
 * database as an argument (pg_restore): a bare name holding `=` or starting with `postgres://` would be read as
 * connection parameters by libpq (another host, the password sent there).
 *
 * @example conninfoDatabase("host=evil dbname=x") // "dbname='host=evil dbname=x'"
 */
export function conninfoDatabase(name: string): string {
  return `dbname='${name.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;
}

/**
 * Quotes an SQL identifier (table, database name) for PostgreSQL.
 *
 * @example `DROP DATABASE ${quoteIdent('my "db"')}` // DROP DATABASE "my ""db"""
 */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * An SQL string literal that reads the same whatever `standard_conforming_strings` is (as quote_literal does),
 * for the statements that take no parameters (COMMENT ON, CREATE DATABASE).
 *
 * @example await client.query(`COMMENT ON DATABASE ${quoteIdent(db)} IS ${quoteLiteral(text)}`);
 */
export function quoteLiteral(s: string): string {
  const body = s.replace(/'/g, "''");
  return s.includes("\\") ? `E'${body.replace(/\\/g, "\\\\")}'` : `'${body}'`;
}

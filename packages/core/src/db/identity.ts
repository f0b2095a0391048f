/**
 * Whether two URLs reach the same database, decided by the servers and not by the URLs: a unix socket and
 * `127.0.0.1`, `localhost`, `[::1]`, another user name, a percent-encoded name, `?dbname=` or PG* defaults all
 * spell the same database differently, and a command that writes one database from another (anonymize, refresh,
 * restore) must never take the source for its target.
 */
import { randomBytes } from "node:crypto";
import type pg from "pg";
import { EnvironmentError, OdooDeployError, UsageError } from "../errors.js";
import { redactUrl } from "../util/redact.js";
import { connect, parseDbUrl, typedQueryError, withDatabase, type Queryable } from "./connection.js";

/** What identifies a running PostgreSQL server (each field readable by any role, but `systemIdentifier`). */
export interface ServerIdentity {
  /**
   * `pg_control_system().system_identifier`: the same on a cluster, its physical standbys and its clones made
   * by `pg_basebackup`; null when the role may not execute `pg_control_system()`.
   */
  systemIdentifier: string | null;
  /** `pg_postmaster_start_time()` as seconds since the epoch (text, so it does not depend on `TimeZone`). */
  startedAt: string;
  /** `pg_is_in_recovery()`: a standby. */
  inRecovery: boolean;
  /** The server's `port` setting. */
  port: number;
  /** `server_version_num`. */
  version: number;
}

/** The database a connection reached, as the server names it. */
export interface DatabaseIdentity {
  /** `current_database()`. */
  database: string;
  /** Its `pg_database` oid. */
  oid: number;
  /** `current_user`. */
  user: string;
  server: ServerIdentity;
}

/** Options of {@link databaseIdentity} and {@link assertDistinctDatabases}. */
export interface IdentityOptions {
  signal?: AbortSignal;
  /** Milliseconds to wait for each connection (default 10 s). */
  connectTimeoutMs?: number;
}

const IDENTITY_SQL = `SELECT current_database() AS database,
  (SELECT oid FROM pg_database WHERE datname = current_database())::int8 AS oid,
  current_user AS "user",
  extract(epoch FROM pg_postmaster_start_time())::text AS started_at,
  pg_is_in_recovery() AS in_recovery,
  current_setting('port')::int AS port,
  current_setting('server_version_num')::int AS version,
  CASE WHEN has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
    THEN (SELECT system_identifier::text FROM pg_catalog.pg_control_system()) END AS system_identifier`;

interface IdentityRow {
  database: string;
  oid: string;
  user: string;
  started_at: string;
  in_recovery: boolean;
  port: number;
  version: number;
  system_identifier: string | null;
}

async function readIdentity(client: Queryable): Promise<DatabaseIdentity> {
  const r = (await client.query<IdentityRow>(IDENTITY_SQL).catch(lost)).rows[0]!;
  return {
    database: r.database,
    oid: Number(r.oid),
    user: r.user,
    server: { systemIdentifier: r.system_identifier, startedAt: r.started_at, inRecovery: r.in_recovery, port: r.port, version: r.version },
  };
}

/**
 * Connects to `url` and asks the server which database that is.
 *
 * @example
 * const id = await databaseIdentity("postgres://odoo@127.0.0.1/prod");
 * console.log(id.database, id.oid, id.server.systemIdentifier);
 */
export async function databaseIdentity(url: string, options: IdentityOptions = {}): Promise<DatabaseIdentity> {
  const client = await connect(url, { ...options, readOnly: true, applicationName: "odoo-deploy identity" });
  try {
    return await readIdentity(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** Options of {@link assertDistinctDatabases}. */
export interface DistinctDatabasesOptions extends IdentityOptions {
  /** The database that is read. */
  sourceUrl: string;
  /** Any URL of the server the target is (or will be) on; its database is the target unless `targetDatabase`. */
  targetUrl: string;
  /** The name of the database that will be written or replaced (default: the target URL's database). */
  targetDatabase?: string;
}

/** How the target's server was found to be, or not to be, the source's. */
export type SameServerEvidence =
  /** The target's server lists the source's own session in `pg_stat_activity`: one running server. */
  | "session"
  /** Different `system_identifier`s: different clusters. */
  | "system-identifier"
  /** The same `system_identifier`, and one side a standby: the same data, replicated. */
  | "standby"
  /** The same `system_identifier` on two primaries started at different times: a clone that was promoted. */
  | "promoted-clone"
  /** Without `system_identifier`: the same start time and port (one server), or not. */
  | "start-time";

/** What {@link assertDistinctDatabases} found (when it did not throw). */
export interface DistinctDatabases {
  source: DatabaseIdentity;
  target: {
    database: string;
    /** The target's oid, or null when no database of that name exists on the target's server (yet). */
    oid: number | null;
    server: ServerIdentity;
  };
  /** Whether the target's server is the source's (or holds the same data, as a standby). */
  sameServer: boolean;
  evidence: SameServerEvidence;
}

/**
 * Refuses, with a {@link UsageError} `SAME_DATABASE` (exit 2), a target that is the source database — decided
 * after connecting, never from the URLs. The source is opened with a random `application_name`; the target's
 * server is then asked (on its `postgres` database, as a swap does) whether it lists that session — proof of
 * one running server, readable by any role — and for the target name's oid. Without that proof, the clusters'
 * `system_identifier`s decide (one cluster seen through a standby is the same data), and without those (a role
 * denied `pg_control_system()`), the postmaster start time and port: only a standby pair then goes unrecognised,
 * and a standby's database matching the target's name and oid is refused too. The target may not exist yet.
 *
 * @example
 * await assertDistinctDatabases({ sourceUrl: "postgres:///prod?host=/run/postgresql", targetUrl: "postgres://odoo@127.0.0.1/staging" });
 */
export async function assertDistinctDatabases(options: DistinctDatabasesOptions): Promise<DistinctDatabases> {
  const targetName = options.targetDatabase ?? parseDbUrl(options.targetUrl).database;
  if (!targetName) throw new UsageError(`the target URL names no database: ${redactUrl(options.targetUrl)}`, { code: "BAD_DB_URL" });
  const beacon = `odoo-deploy identity ${randomBytes(12).toString("hex")}`;
  const connectOptions = { ...options, readOnly: true };
  const source = await connect(options.sourceUrl, { ...connectOptions, applicationName: beacon });
  try {
    const sourceId = await readIdentity(source);
    const seen = await withTarget(options.targetUrl, connectOptions, async (t) => {
      const server = (await readIdentity(t)).server;
      const beaconDb = (await t.query<{ datid: string }>("SELECT datid::int8 AS datid FROM pg_stat_activity WHERE application_name = $1", [beacon]).catch(lost)).rows[0];
      const oid = (await t.query<{ oid: string }>("SELECT oid::int8 AS oid FROM pg_database WHERE datname = $1", [targetName]).catch(lost)).rows[0];
      return { server, beaconOid: beaconDb ? Number(beaconDb.datid) : undefined, oid: oid ? Number(oid.oid) : null };
    });
    // The source session must have lived through the whole comparison: a restart in between would void it.
    const again = await readIdentity(source);
    if (again.server.startedAt !== sourceId.server.startedAt) throw new EnvironmentError("the source server restarted while it was being identified", { code: "DB_RESTARTED" });
    const verdict = compareServers(sourceId.server, seen.server, seen.beaconOid !== undefined);
    // On one server (or a standby of it), the source's oid on the target's side is the source's own oid.
    const sourceOidThere = seen.beaconOid ?? sourceId.oid;
    const result: DistinctDatabases = { source: sourceId, target: { database: targetName, oid: seen.oid, server: seen.server }, ...verdict };
    if (verdict.sameServer && seen.oid !== null && seen.oid === sourceOidThere) {
      const how = verdict.evidence === "standby" ? " (one of the two servers is a standby of the other)" : "";
      throw new UsageError(
        `the source and target are the same database: ${redactUrl(options.sourceUrl)} and ${targetName} on ${redactUrl(options.targetUrl)} both reach database ${sourceId.database} (oid ${sourceId.oid})${how}`,
        { code: "SAME_DATABASE", details: { database: sourceId.database, oid: sourceId.oid, evidence: verdict.evidence } },
      );
    }
    return result;
  } finally {
    await source.end().catch(() => {});
  }
}

async function withTarget<T>(targetUrl: string, options: IdentityOptions & { readOnly: boolean }, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = await connect(withDatabase(targetUrl, "postgres"), { ...options, applicationName: "odoo-deploy identity" });
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A failed identity query: typed by its SQLSTATE, or a lost connection (the environment's). */
function lost(e: unknown): never {
  const typed = typedQueryError(e, "identifying the databases");
  if (typed instanceof OdooDeployError) throw typed;
  throw new EnvironmentError(`identifying the databases: ${(e as Error).message}`, { code: "DB_ERROR", cause: e });
}

/**
 * The decision table of {@link assertDistinctDatabases}, on what the two servers said and whether the target's
 * listed the source's session (exported for its tests).
 *
 * @example compareServers(source.server, target.server, false) // { sameServer: false, evidence: "system-identifier" }
 */
export function compareServers(a: ServerIdentity, b: ServerIdentity, sessionSeen: boolean): { sameServer: boolean; evidence: SameServerEvidence } {
  if (sessionSeen) return { sameServer: true, evidence: "session" };
  if (a.systemIdentifier !== null && b.systemIdentifier !== null) {
    if (a.systemIdentifier !== b.systemIdentifier) return { sameServer: false, evidence: "system-identifier" };
    if (a.inRecovery || b.inRecovery) return { sameServer: true, evidence: "standby" };
    return a.startedAt === b.startedAt ? { sameServer: true, evidence: "system-identifier" } : { sameServer: false, evidence: "promoted-clone" };
  }
  if (a.startedAt === b.startedAt && a.port === b.port) return { sameServer: true, evidence: "start-time" };
  // A standby cannot be told from its primary without system_identifier: refuse a matching name and oid.
  if (a.inRecovery || b.inRecovery) return { sameServer: true, evidence: "standby" };
  return { sameServer: false, evidence: "start-time" };
}

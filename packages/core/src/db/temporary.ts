/**
 * Temporary databases that a killed run cannot leave behind for good: each is marked as odoo-deploy's when it is
 * made (a `COMMENT ON DATABASE` naming its purpose, name, owner process and claim) and claimed for as long as its
 * run lives (a session advisory lock on the server's `postgres` database, which PostgreSQL releases when the
 * run's connection dies, whatever killed it). A later run removes a marked database only when the claim is free,
 * its owner process is gone (when on this host), nobody is connected to it, and it still has the name it was
 * made with — never because of a name alone.
 */
import { createHash } from "node:crypto";
import os from "node:os";
import type pg from "pg";
import { OdooDeployError, UsageError } from "../errors.js";
import { currentOwner, ownerMayBeRunning, parseOwner, type ProcessOwner } from "../util/process-owner.js";
import { connect, quoteIdent, quoteLiteral, typedQueryError, withDatabase, type Queryable } from "./connection.js";
import { MAX_IDENTIFIER_BYTES } from "./swap.js";

const MARKER_PREFIX = "odoo-deploy temporary database: ";
/** First key of every claim (`pg_advisory_lock(int, int)`): "odTD". */
const CLAIM_CLASS = 0x6f645444;
/** Where claims are taken: advisory locks belong to one database, so every run must use the same one. */
const CLAIM_DATABASE = "postgres";

/** What the marker of a temporary database records. */
export interface TemporaryDatabaseMarker extends ProcessOwner {
  /** What made it: `anonymize`, `refresh`, `restore`. */
  purpose: string;
  /** The name it was created with: once renamed (published), it is no longer a temporary database. */
  database: string;
  /** The advisory lock `[class, key]` its run holds on the `postgres` database. */
  claim: [number, number];
}

/** Options of {@link createTemporaryDatabase}. */
export interface TemporaryDatabaseOptions {
  /** Any URL of the server (the database is created from its `postgres` database). */
  url: string;
  /** The new database's name (at most 63 bytes; it must not exist). */
  name: string;
  /** What it is for, recorded in its marker (`anonymize`). */
  purpose: string;
  /** Template (default `template0`). */
  template?: string;
  applicationName?: string;
  signal?: AbortSignal;
}

/** A temporary database held by this run. */
export interface TemporaryDatabase {
  readonly name: string;
  /** URL of the temporary database (the given URL with its name). */
  readonly url: string;
  /**
   * After the database was renamed into place (published) as `name`: removes its marker and releases the claim;
   * never throws. Renamed, it was already safe from {@link removeLeftoverDatabases} (its marker names the old name).
   */
  publishedAs(name: string): Promise<void>;
  /** Drops the database (ending its sessions) and releases the claim; never throws. */
  discard(): Promise<void>;
}

/**
 * Creates a database marked as a temporary one of this run and claims it until {@link TemporaryDatabase.discard}
 * or {@link TemporaryDatabase.publishedAs}; the claim lives on a connection of its own, so that a killed run
 * frees it. A run killed in the instant between CREATE DATABASE and the marker leaves an unmarked database,
 * which is never removed.
 *
 * @example
 * const temp = await createTemporaryDatabase({ url: targetUrl, name: "staging_anon_1f2e3d4c", purpose: "anonymize" });
 * try { ... } finally { await temp.discard(); }
 */
export async function createTemporaryDatabase(options: TemporaryDatabaseOptions): Promise<TemporaryDatabase> {
  if (Buffer.byteLength(options.name) > MAX_IDENTIFIER_BYTES) throw new UsageError(`temporary database name longer than 63 bytes: ${options.name}`);
  const claim = claimKey(options.name);
  const holder = await connect(withDatabase(options.url, CLAIM_DATABASE), { applicationName: options.applicationName ?? "odoo-deploy", ...(options.signal ? { signal: options.signal } : {}) });
  let created = false;
  const ident = quoteIdent(options.name);
  const discard = async () => {
    if (created) await holder.query(`DROP DATABASE IF EXISTS ${ident} WITH (FORCE)`).catch(() => {});
    await holder.end().catch(() => {});
  };
  try {
    // The claim must outlive idle periods of the run: a server-wide idle_session_timeout would end it.
    await sql(holder, "SET idle_session_timeout = 0", [], "claiming the temporary database");
    await sql(holder, "SELECT pg_advisory_lock($1, $2)", [claim[0], claim[1]], "claiming the temporary database");
    await sql(holder, `CREATE DATABASE ${ident} TEMPLATE ${quoteIdent(options.template ?? "template0")}`, [], `creating ${options.name}`);
    created = true;
    const marker: TemporaryDatabaseMarker = { purpose: options.purpose, database: options.name, claim, ...currentOwner() };
    await sql(holder, `COMMENT ON DATABASE ${ident} IS ${quoteLiteral(MARKER_PREFIX + JSON.stringify(marker))}`, [], `marking ${options.name}`);
  } catch (e) {
    await discard();
    throw e;
  }
  return {
    name: options.name,
    url: withDatabase(options.url, options.name),
    async publishedAs(name: string) {
      created = false;
      await holder.query(`COMMENT ON DATABASE ${quoteIdent(name)} IS NULL`).catch(() => {});
      await holder.end().catch(() => {});
    },
    discard,
  };
}

/** Options of {@link removeLeftoverDatabases}. */
export interface RemoveLeftoverDatabasesOptions {
  /** Any URL of the server. */
  url: string;
  /** Only leftovers made for this purpose (default: any of odoo-deploy's). */
  purpose?: string;
  applicationName?: string;
  signal?: AbortSignal;
}

/** What {@link removeLeftoverDatabases} did. */
export interface LeftoverDatabases {
  /** Temporary databases of killed runs, dropped. */
  removed: string[];
  /** Marked databases left alone, and why (their run is alive, someone is connected, no privilege to drop). */
  kept: { database: string; reason: string }[];
}

/**
 * Drops the temporary databases that killed runs left on the server of `url`: marked by
 * {@link createTemporaryDatabase}, still under the name they were made with, their claim free, their owner
 * process gone (when it ran on this host), and no session connected. A database without the marker is never
 * touched, whatever its name.
 *
 * @example
 * const { removed } = await removeLeftoverDatabases({ url: targetUrl });
 * if (removed.length) console.error(`removed ${removed.join(", ")}, left by killed runs`);
 */
export async function removeLeftoverDatabases(options: RemoveLeftoverDatabasesOptions): Promise<LeftoverDatabases> {
  const client = await connect(withDatabase(options.url, CLAIM_DATABASE), { applicationName: options.applicationName ?? "odoo-deploy", ...(options.signal ? { signal: options.signal } : {}) });
  const out: LeftoverDatabases = { removed: [], kept: [] };
  try {
    const marked = await sql<{ datname: string; comment: string }>(
      client,
      "SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE starts_with(shobj_description(oid, 'pg_database'), $1) ORDER BY datname",
      [MARKER_PREFIX],
      "listing temporary databases",
    );
    for (const { datname, comment } of marked) {
      const marker = parseMarker(comment);
      // A marker that names another database was copied or renamed with it: that is not a leftover.
      if (!marker || marker.database !== datname) continue;
      if (options.purpose !== undefined && marker.purpose !== options.purpose) continue;
      const reason = await removeIfLeftover(client, datname, marker);
      if (reason === undefined) out.removed.push(datname);
      else out.kept.push({ database: datname, reason });
    }
    return out;
  } finally {
    await client.end().catch(() => {});
  }
}

/** Drops `name` when it is provably a leftover; otherwise says why not. */
async function removeIfLeftover(client: pg.Client, name: string, marker: TemporaryDatabaseMarker): Promise<string | undefined> {
  // The claim is the proof on any host; on this one, a live owner process is one more reason to wait.
  if (marker.host === os.hostname() && ownerMayBeRunning(marker)) return `its run (pid ${marker.pid}) may still be running`;
  const [k1, k2] = marker.claim;
  const free = (await sql<{ ok: boolean }>(client, "SELECT pg_try_advisory_lock($1, $2) AS ok", [k1, k2], "testing a claim"))[0]!.ok;
  if (!free) return "a running odoo-deploy holds its claim";
  try {
    const sessions = Number((await sql<{ n: string }>(client, "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = $1", [name], "counting sessions"))[0]!.n);
    if (sessions > 0) return `${sessions} session(s) connected to it`;
    // Without FORCE: a session that connected since the count makes the drop fail, and the database stays.
    const dropped = await client.query(`DROP DATABASE ${quoteIdent(name)}`).then(
      () => undefined,
      (e: unknown) => `could not drop it: ${(e as Error).message}`,
    );
    return dropped;
  } finally {
    await client.query("SELECT pg_advisory_unlock($1, $2)", [k1, k2]).catch(() => {});
  }
}

function parseMarker(comment: string): TemporaryDatabaseMarker | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(comment.slice(MARKER_PREFIX.length));
  } catch {
    return undefined;
  }
  const owner = parseOwner(raw);
  const m = raw as Partial<TemporaryDatabaseMarker>;
  if (!owner || typeof m.purpose !== "string" || typeof m.database !== "string" || !Array.isArray(m.claim) || m.claim.length !== 2 || !m.claim.every((k) => Number.isInteger(k))) return undefined;
  return { ...owner, purpose: m.purpose, database: m.database, claim: [m.claim[0]!, m.claim[1]!] };
}

/** The claim of a temporary database: a fixed class and 32 bits of its name's hash (collisions keep databases, never drop them). */
function claimKey(name: string): [number, number] {
  return [CLAIM_CLASS, createHash("sha256").update(name).digest().readInt32BE(0)];
}

async function sql<R extends pg.QueryResultRow>(client: Queryable, text: string, values: unknown[], what: string): Promise<R[]> {
  try {
    return (await client.query<R>(text, values)).rows;
  } catch (e) {
    const typed = typedQueryError(e, what);
    throw typed instanceof OdooDeployError ? typed : e;
  }
}

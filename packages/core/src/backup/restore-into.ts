/**
 * Restoring a backup's database into a new, empty database through a runner: pg_restore (custom) or psql
 * with ON_ERROR_STOP (Odoo zip), the dump streamed into the tool's stdin so the runner may be remote.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AbortedError, UsageError } from "../errors.js";
import { conninfoDatabase, libpqEnv, quoteIdent, withClient, withDatabase } from "../db/connection.js";
import { fitDatabaseName, MAX_IDENTIFIER_BYTES } from "../db/swap.js";
import type { CommandRunner } from "../runner/types.js";
import { failpoint } from "../util/failpoint.js";
import { HashMeter, sink } from "./files.js";
import type { LocatedBackup } from "./manifest.js";
import { toolFailure } from "./pg-tools.js";
import { openZip, ZIP_DUMP } from "./zip.js";

/** Options of {@link restoreInto}. */
export interface RestoreIntoOptions {
  backup: LocatedBackup;
  /** Any URL of the server to restore on; its database part is replaced. */
  serverUrl: string;
  /** Name of the new database; must not exist. */
  database: string;
  /** Called once the database was created by this call (so a caller cleans up only what it made). */
  onCreated?: () => void;
  runner: CommandRunner;
  pgRestore?: string;
  psql?: string;
  signal?: AbortSignal;
  onProgress?: (bytes: number, rate: number, totalBytes: number) => void;
  progressIntervalMs?: number;
}

/**
 * Creates `database` (from template0) and restores the backup into it. Throws a typed error carrying the
 * tool's stderr when the restore fails; the caller drops the half-restored database (only after `onCreated`).
 * The database reaches the tool as a quoted connection string (and `PGDATABASE`), never as a bare name: libpq
 * would read a name holding `=` (or a URL) as connection parameters, sending the password wherever it says.
 *
 * @example await restoreInto({ backup, serverUrl: url, database: "prod_restore_1", runner: createLocalRunner() });
 */
export async function restoreInto(o: RestoreIntoOptions): Promise<void> {
  await createDatabase(o.serverUrl, o.database, o.signal);
  o.onCreated?.();
  await failpoint("restore:created", o.signal);
  const url = withDatabase(o.serverUrl, o.database);
  let source: Readable;
  let total: number;
  let close = () => {};
  let argv: string[];
  if (o.backup.format === "custom") {
    if (!o.backup.dumpFile) throw new UsageError(`${o.backup.path}: no dump file`, { code: "NOT_A_BACKUP" });
    total = (await stat(o.backup.dumpFile)).size;
    source = createReadStream(o.backup.dumpFile);
    argv = [o.pgRestore ?? "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--no-password", `--dbname=${conninfoDatabase(o.database)}`];
  } else {
    const zip = await openZip(o.backup.zipFile!);
    const entry = zip.find(ZIP_DUMP);
    if (!entry) {
      zip.close();
      throw new UsageError(`${o.backup.path}: the zip holds no ${ZIP_DUMP}`, { code: "NOT_A_BACKUP" });
    }
    total = entry.uncompressedSize;
    source = await zip.open(entry);
    close = () => zip.close();
    argv = [o.psql ?? "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "--no-password", `--dbname=${conninfoDatabase(o.database)}`];
  }
  try {
    const cmd = o.runner.spawn(argv, { env: { ...libpqEnv(url), PGDATABASE: o.database }, stdin: true, signal: o.signal });
    const meter = new HashMeter((b, r) => o.onProgress?.(b, r, total), o.progressIntervalMs);
    const feeding = pipeline(source, meter, cmd.stdin).catch((e: unknown) => e);
    const draining = pipeline(cmd.stdout, sink()).catch(() => {});
    const result = await cmd.result;
    const fed = await feeding;
    await draining;
    if (o.signal?.aborted || result.canceled) throw new AbortedError("restore aborted");
    if (result.exitCode !== 0) throw toolFailure(argv[0]!, result, url, `restoring ${o.backup.path}`);
    // The tool may exit 0 before reading everything only if the input was bad; treat an unread input as failure.
    if (fed instanceof Error && !/EPIPE|premature close/i.test(fed.message)) throw fed;
  } finally {
    close();
  }
}

/** `CREATE DATABASE name TEMPLATE template0` on the server of `serverUrl`. @example await createDatabase(url, "prod_restore_x"); */
export async function createDatabase(serverUrl: string, name: string, signal?: AbortSignal): Promise<void> {
  if (Buffer.byteLength(name) > MAX_IDENTIFIER_BYTES) throw new UsageError(`database name longer than 63 bytes: ${name}`);
  await withClient(withDatabase(serverUrl, "postgres"), (c) => c.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE template0`), {
    signal,
    applicationName: "odoo-deploy restore",
  });
}

/** Drops a database odoo-deploy created (scratch or half-restored), terminating its sessions. @example await dropCreatedDatabase(url, "prod_verify_ab12"); */
export async function dropCreatedDatabase(serverUrl: string, name: string): Promise<void> {
  await withClient(withDatabase(serverUrl, "postgres"), (c) => c.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`), {
    applicationName: "odoo-deploy restore",
  });
}

/**
 * A scratch database name for a backup of `dbName` (a value from a manifest, i.e. from whoever made the backup):
 * only letters, digits and `_` kept, then `_<suffix>`, within 63 bytes.
 *
 * @example scratchDatabaseName("host=evil port=1 dbname=x", "verify_1a2b3c") // "host_evil_port_1_dbname_x_verify_1a2b3c"
 */
export function scratchDatabaseName(dbName: unknown, suffix: string): string {
  const clean = (typeof dbName === "string" ? dbName : "").replace(/[^A-Za-z0-9_]+/g, "_").replace(/^_+|_+$/g, "");
  return fitDatabaseName(clean || "odoo", `_${suffix}`);
}

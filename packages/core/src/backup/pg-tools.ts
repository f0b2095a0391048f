/**
 * Running PostgreSQL's client tools (pg_dump, pg_restore, psql) through a runner: version detection and
 * turning their failures into typed errors that carry stderr (redacted) in details.
 */
import { libpqEnv } from "../db/connection.js";
import { AbortedError, EnvironmentError, OperationFailedError } from "../errors.js";
import type { CommandRunner, ExecResult } from "../runner/types.js";
import { redactText, redactUrl } from "../util/redact.js";

/** Parsed `X --version` output of a PostgreSQL tool. */
export interface PgToolVersion {
  /** As printed, e.g. "15.18". */
  version: string;
  major: number;
}

/**
 * Parses `pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)` and older `9.6.24` forms.
 *
 * @example parsePgToolVersion("pg_dump (PostgreSQL) 15.18").major // 15
 */
export function parsePgToolVersion(text: string): PgToolVersion | undefined {
  const m = text.match(/\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?(?:\.(\d+))?/) ?? text.match(/\b(\d+)\.(\d+)(?:\.(\d+))?\b/);
  if (!m) return undefined;
  const first = Number(m[1]);
  // Before 10 the major version had two parts (9.6).
  const major = first < 10 ? Number(`${m[1]}.${m[2] ?? 0}`) : first;
  return { version: [m[1], m[2], m[3]].filter((x) => x !== undefined).join("."), major };
}

/** Major version of a `server_version_num`. @example serverMajor(150018) // 15 */
export function serverMajor(versionNum: number): number {
  return versionNum >= 100000 ? Math.floor(versionNum / 10000) : Number(`${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}`);
}

/**
 * Asks a tool for its version through the runner; throws `EnvironmentError` (`PG_TOOL_NOT_FOUND`) when it
 * cannot be run.
 *
 * @example const v = await pgToolVersion(createLocalRunner(), "pg_dump");
 */
export async function pgToolVersion(runner: CommandRunner, bin: string, signal?: AbortSignal): Promise<PgToolVersion> {
  const r = await runner.exec([bin, "--version"], { signal, timeout: 30_000 });
  const v = r.exitCode === 0 ? parsePgToolVersion(r.stdout) : undefined;
  if (!v) {
    throw new EnvironmentError(`${bin} cannot be run on ${runner.description}: ${errorLine(r.stderr) || `exit ${r.exitCode}`}`, {
      code: "PG_TOOL_NOT_FOUND",
      details: { command: r.command, exitCode: r.exitCode, stderr: redactText(r.stderr) },
    });
  }
  return v;
}

/**
 * Refuses a pg_dump older than the server before anything runs (pg_dump would abort with a version
 * mismatch half-way through a deploy otherwise).
 *
 * @example assertPgDumpFits({ version: "13.2", major: 13 }, 150018, "local")
 */
export function assertPgDumpFits(tool: PgToolVersion, serverVersionNum: number, where: string): void {
  const server = serverMajor(serverVersionNum);
  if (tool.major < server) {
    throw new EnvironmentError(
      `pg_dump ${tool.version} on ${where} is older than the PostgreSQL ${server} server: install pg_dump ${server} or newer`,
      { code: "PG_DUMP_TOO_OLD", details: { pgDumpVersion: tool.version, serverMajor: server } },
    );
  }
}

/**
 * Turns a failed tool run into a typed error: connection problems are `EnvironmentError`s, anything else an
 * `OperationFailedError`; stderr (redacted) is in `details.stderr`, its first error line in the message.
 *
 * @example if (r.exitCode !== 0) throw toolFailure("pg_dump", r, url, "dumping prod");
 */
export function toolFailure(tool: string, result: ExecResult, dbUrl: string | undefined, what: string): Error {
  const stderr = redactText(result.stderr);
  const where = dbUrl ? ` on ${redactUrl(dbUrl)}` : "";
  const why = result.timedOut ? "timed out" : `exit ${result.exitCode ?? "by signal"}`;
  const message = `${tool} failed ${what}${where} (${why}): ${errorLine(stderr) || "no error output"}`;
  const details = { command: result.command, exitCode: result.exitCode, stderr };
  if (result.exitCode === 127) return new EnvironmentError(message, { code: "PG_TOOL_NOT_FOUND", details });
  if (/password authentication failed|no password supplied|authentication failed/i.test(stderr)) {
    return new EnvironmentError(message, { code: "DB_AUTH", details });
  }
  if (/database ".*" does not exist/i.test(stderr)) return new EnvironmentError(message, { code: "DB_NOT_FOUND", details });
  if (/could not connect|connection to server .* failed|Connection refused/i.test(stderr) && !/query failed/i.test(stderr)) {
    return new EnvironmentError(message, { code: "DB_UNREACHABLE", details });
  }
  return new OperationFailedError(message, { code: `${tool.toUpperCase().replace(/[^A-Z]/g, "_")}_FAILED`, details });
}

/** The line of a tool's stderr that explains a failure: its first `error:` line, else its last line. @example errorLine(r.stderr) */
export function errorLine(text: string): string {
  const lines = text.split("\n").map((l) => l.trim()).filter(Boolean);
  // pg_restore ends with "warning: errors ignored on restore: N"; the cause is the first error line.
  const firstError = lines.find((l) => /error:/i.test(l));
  return firstError ?? lines[lines.length - 1] ?? "";
}

/** Options of {@link runPgTool}. */
export interface RunPgToolOptions {
  /** The database the tool connects to: passed as libpq variables, never on the command line. */
  dbUrl: string;
  /** What the run is doing, for the error message ("dumping the schema of prod"). */
  what: string;
  /** More environment (e.g. PGOPTIONS). */
  env?: Record<string, string>;
  /** Most bytes of stdout kept (default 64 MiB); more is a failure, not a silently cut result. */
  maxBuffer?: number;
  signal?: AbortSignal;
}

/**
 * Runs a PostgreSQL client tool to completion through a runner; a failure becomes a typed error
 * ({@link toolFailure}: redacted stderr, the environment's errors told apart), a cancellation an
 * `AbortedError`.
 *
 * @example const r = await runPgTool(runner, ["pg_restore", "--list", file], { dbUrl, what: "listing the dump" });
 */
export async function runPgTool(runner: CommandRunner, argv: string[], o: RunPgToolOptions): Promise<ExecResult> {
  const maxBuffer = o.maxBuffer ?? 64 * 1024 * 1024;
  const r = await runner.exec(argv, { env: { ...libpqEnv(o.dbUrl), ...o.env }, maxBuffer, ...(o.signal ? { signal: o.signal } : {}) });
  const tool = argv[0]!.split("/").pop()!;
  if (r.canceled || o.signal?.aborted) throw new AbortedError(`${tool} aborted while ${o.what}`);
  if (r.exitCode !== 0) throw toolFailure(tool, r, o.dbUrl, o.what);
  if (r.outputTruncated) throw new OperationFailedError(`${tool} printed more than ${maxBuffer} bytes while ${o.what}`, { code: `${tool.toUpperCase().replace(/[^A-Z]/g, "_")}_FAILED`, details: { command: r.command } });
  return r;
}

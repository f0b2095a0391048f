import type pg from "pg";
import { AbortedError, EnvironmentError, throwIfAborted, UsageError } from "../errors.js";
import { durationSince, type Check, type EventHandler, type ReportBase } from "../report.js";
import { connect, parseDbUrl, withDatabase } from "../db/connection.js";
import { DEPLOYED_REVISION_KEY, setConfigParameter } from "../db/odoo-params.js";
import type { CommandRunner } from "../runner/types.js";
import { shellJoin } from "../runner/quote.js";
import { redactUrl } from "../util/redact.js";
import { formatDuration } from "../util/duration.js";
import { buildOdooUpdateArgv, type OdooUpdateCommandOptions } from "./command.js";
import { acquireUpdateLock, releaseUpdateLock, type LockHolder } from "./lock.js";
import { OdooLogAnalyzer, type OdooLogFinding, type OdooLogFindingKind, type OdooLogSummary } from "./log-analysis.js";
import type { OdooLogLevel } from "./log-parser.js";
import { describeSessions, otherSessions, type OtherSession } from "./sessions.js";
import { checkModules, PENDING_MODULE_STATES, updatedModules, type VerifiedModule } from "./verify.js";
import { discoverAddons, type AddonInfo } from "../addons/discover.js";
import { ManifestSyntaxError } from "../addons/manifest-error.js";
import { readOdooAddonsPath, readRemoteManifests } from "../addons/odoo-config.js";
import { recordChecksums } from "./records.js";

/** Progress events of {@link migrateModules}. */
export type MigrateEvent =
  | { type: "migrate:lock-wait"; dbName: string; holders: LockHolder[]; timeoutMs: number }
  | { type: "migrate:lock-acquired"; dbName: string; waitedMs: number }
  | { type: "migrate:start"; command: string; runner: string }
  | { type: "migrate:pending-before"; modules: { name: string; state: string }[] }
  | { type: "migrate:loading"; count: number }
  | { type: "migrate:module"; module: string; index?: number; total?: number }
  | { type: "migrate:module-loaded"; module: string; durationMs: number; queries?: number }
  | { type: "migrate:log"; level: Exclude<OdooLogLevel, "DEBUG" | "INFO">; logger: string; message: string }
  | { type: "migrate:finding"; kind: OdooLogFindingKind; message: string; modules?: string[] }
  | { type: "migrate:exit"; exitCode: number | null; durationMs: number; timedOut: boolean }
  | { type: "migrate:recorded"; revision?: string; checksums?: number };

/** Options of {@link migrateModules}. */
export interface MigrateModulesOptions extends Omit<OdooUpdateCommandOptions, "dbName"> {
  /** Where odoo-bin runs: local, a one-off container of the new image, or an SSH host. */
  runner: CommandRunner;
  /** The Odoo database to update. */
  dbName: string;
  /**
   * PostgreSQL URL through which odoo-deploy reaches the database for locking, the sessions check,
   * verification and records. Without a database part, `dbName` is used; with another one, it is refused.
   */
  dbUrl: string;
  /** Environment for odoo-bin (e.g. `PG*` variables). Values are secrets: never reported. */
  env?: Record<string, string>;
  /**
   * Addons paths as odoo-deploy sees them (the repository's), to read manifest versions for verification
   * and compute click-odoo-update checksums. Without them, the addons paths odoo-bin uses (`addonsPath`, else
   * `addons_path` of `odooConfig`, read through the runner) give the manifest versions — and, with the local
   * runner, the checksums too; with neither, versions are not compared (the report says so).
   */
  localAddonsPaths?: readonly string[];
  /** Git revision of the code being deployed, recorded as `odoo_deploy.deployed_revision` on success. */
  revision?: string;
  /** Kill odoo-bin after this many milliseconds (default: no limit). */
  timeoutMs?: number;
  /** How long to wait for another update holding the lock (default 10 minutes; 0 fails at once). */
  lockTimeoutMs?: number;
  /** Run even when other sessions (a running Odoo server, its cron) are connected to the database. */
  allowRunning?: boolean;
  signal?: AbortSignal;
  onEvent?: EventHandler<MigrateEvent>;
}

/** What {@link migrateModules} did and found. */
export interface MigrateReport extends ReportBase {
  dbName: string;
  /** Redacted URL used for locking and verification. */
  dbUrl: string;
  runner: string;
  /** odoo-bin's argv as a display string (never env values). */
  command: string;
  update: string[];
  install: string[];
  /** odoo-bin's exit code; absent when it did not run. */
  exitCode?: number | null;
  timedOut?: boolean;
  /** `lock`, `other-sessions`, `odoo-bin`, `log`, `no-pending-modules`, `modules-installed`, `module-versions`, `records`. */
  checks: Check[];
  /** Every reason the migration is not ok, one sentence each; empty when ok. */
  reasons: string[];
  /** What the log said: findings, WARNING+ records with their exceptions, module progress and durations. */
  log?: Omit<OdooLogSummary, "preamble"> & { tail: string[] };
  /** The modules verified in the database. */
  modules: VerifiedModule[];
  pending: { name: string; state: string }[];
  /**
   * Modules already pending before the run (left by an earlier failed update): odoo-bin applies them
   * silently, so they are named here and their versions verified too.
   */
  pendingBefore: { name: string; state: string }[];
  /** Sessions found connected (refused unless `allowRunning`). */
  otherSessions: OtherSession[];
  /** Records written on success. */
  recorded: { revision?: string; checksums?: number };
}

const DEFAULT_LOCK_TIMEOUT_MS = 10 * 60_000;
const LOG_TAIL_LINES = 40;

/**
 * Updates and installs Odoo modules with `odoo-bin --stop-after-init` through any runner, and decides
 * success without trusting odoo-bin: `ok` only when the exit code is 0, the log holds no failure
 * (ERROR/CRITICAL records, `invalid module names`, `not installable`), and the database agrees (nothing
 * pending, each module installed at its adapted manifest version). It holds click-odoo-update's advisory
 * lock on the database for the whole run (a second migrate waits, then fails), refuses while other
 * sessions are connected unless `allowRunning`, and on success records the deployed revision and
 * click-odoo-update's checksums. Aborting kills odoo-bin and throws {@link AbortedError}.
 *
 * @example
 * const report = await migrateModules({
 *   runner: createLocalRunner(), dbName: "odoo_prod", dbUrl: "postgres:///odoo_prod?host=/run/postgresql",
 *   update: ["sale_custom"], odooConfig: "/etc/odoo/odoo.conf", revision: "3f2c1e0",
 * });
 * if (!report.ok) console.error(report.reasons.join("\n"));
 */
export async function migrateModules(options: MigrateModulesOptions): Promise<MigrateReport> {
  const start = performance.now();
  throwIfAborted(options.signal);
  const argv = buildOdooUpdateArgv(options);
  const dbUrl = targetUrl(options.dbUrl, options.dbName);
  const update = [...(options.update ?? [])];
  const install = [...(options.install ?? [])];
  const emit = (e: MigrateEvent) => options.onEvent?.(e);
  const report: MigrateReport = {
    ok: false,
    durationMs: 0,
    dbName: options.dbName,
    dbUrl: redactUrl(dbUrl),
    runner: options.runner.description,
    command: shellJoin(displayArgv(argv)),
    update,
    install,
    checks: [],
    reasons: [],
    modules: [],
    pending: [],
    pendingBefore: [],
    otherSessions: [],
    recorded: {},
  };
  const finish = (): MigrateReport => {
    const names = ["lock", "other-sessions", "odoo-bin", "log", "no-pending-modules", "modules-installed", "module-versions", "records"];
    for (const n of names) if (!report.checks.some((c) => c.name === n)) report.checks.push({ name: n, status: "skipped" });
    report.checks.sort((a, b) => names.indexOf(a.name) - names.indexOf(b.name));
    report.ok = report.checks.every((c) => c.status !== "failed");
    report.durationMs = durationSince(start);
    return report;
  };
  const fail = (check: Check, reason?: string) => {
    report.checks.push(check);
    report.reasons.push(reason ?? `${check.name}: ${check.detail ?? "failed"}`);
  };

  // Read the local addons first: a wrong path is a usage error, found before anything is locked or run.
  const unreadableManifests = new Map<string, string>();
  const discover = (addonsPaths: readonly string[]) =>
    discoverAddons({ addonsPaths, onUnreadable: (u) => unreadableManifests.set(u.name, u.error.message), ...(options.signal ? { signal: options.signal } : {}) });
  let addons: Map<string, AddonInfo> | undefined = options.localAddonsPaths && options.localAddonsPaths.length > 0 ? await discover(options.localAddonsPaths) : undefined;
  // Else the addons paths odoo-bin itself uses, as its host sees them: read there, or here when that is here.
  let odooSidePaths: string[] | undefined;
  if (!addons) {
    const given = typeof options.addonsPath === "string" ? options.addonsPath.split(",") : options.addonsPath;
    odooSidePaths = given?.map((p) => p.trim()).filter(Boolean) ?? (options.odooConfig ? await readOdooAddonsPath(options.runner, options.odooConfig, options.signal) : undefined);
    if (odooSidePaths?.length && options.runner.kind === "local") {
      addons = await discover(odooSidePaths);
      odooSidePaths = undefined;
    }
  }
  let manifestVersions: Map<string, string | undefined> | undefined = addons ? new Map([...addons].map(([name, a]) => [name, a.manifest.version])) : undefined;

  const client: pg.Client = await connect(dbUrl, { applicationName: "odoo-deploy migrate", signal: options.signal });
  let locked = false;
  try {
    // 1. click-odoo-update's lock, on a connection to the target database, held until the end.
    const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const t0 = performance.now();
    const lock = await acquireUpdateLock({
      client,
      dbName: options.dbName,
      timeoutMs: lockTimeoutMs,
      signal: options.signal,
      onWait: (holders) => emit({ type: "migrate:lock-wait", dbName: options.dbName, holders, timeoutMs: lockTimeoutMs }),
    });
    if (!lock.acquired) {
      const who = lock.holders.map((h) => `pid ${h.pid}${h.applicationName ? ` (${h.applicationName})` : ""}`).join(", ");
      fail({
        name: "lock",
        status: "failed",
        detail: `another update holds the lock on ${options.dbName}${who ? ` (${who})` : ""}; gave up after ${formatDuration(lock.waitedMs)}`,
        durationMs: durationSince(t0),
      });
      return finish();
    }
    locked = true;
    report.checks.push({ name: "lock", status: "ok", detail: lock.waitedMs > 500 ? `waited ${formatDuration(lock.waitedMs)}` : "acquired", durationMs: durationSince(t0) });
    emit({ type: "migrate:lock-acquired", dbName: options.dbName, waitedMs: lock.waitedMs });

    // 2. Nobody else on the database: a running server would keep serving with a stale registry, its cron racing the update.
    const others = await otherSessions(client);
    report.otherSessions = others;
    if (others.length > 0 && !options.allowRunning) {
      fail({
        name: "other-sessions",
        status: "failed",
        detail: `${others.length} other session(s) connected to ${options.dbName}: ${describeSessions(others)}; stop the Odoo server (or pass allowRunning / --allow-running)`,
      });
      return finish();
    }
    report.checks.push({
      name: "other-sessions",
      status: "ok",
      detail: others.length === 0 ? "none connected" : `${others.length} allowed: ${describeSessions(others)}`,
    });

    // 3. odoo-bin, its log parsed as it streams. Leftovers of an earlier failed update get applied silently
    // by any update (ODOO-FACTS.md): name them now, verify them after.
    throwIfAborted(options.signal);
    report.pendingBefore = (
      await client.query<{ name: string; state: string }>(
        "SELECT name, state FROM ir_module_module WHERE state = ANY($1) ORDER BY name",
        [PENDING_MODULE_STATES],
      )
    ).rows;
    if (report.pendingBefore.length > 0) emit({ type: "migrate:pending-before", modules: report.pendingBefore });
    const tail: string[] = [];
    const onLine = (analyzer: OdooLogAnalyzer) => (line: string) => {
      tail.push(line);
      if (tail.length > LOG_TAIL_LINES) tail.shift();
      analyzer.push(line);
    };
    const analyzer = new OdooLogAnalyzer((s) => {
      switch (s.kind) {
        case "loading":
          return emit({ type: "migrate:loading", count: s.count });
        case "module-start":
          return emit({ type: "migrate:module", module: s.module.name, index: s.module.index, total: s.module.total });
        case "module-done":
          return emit({ type: "migrate:module-loaded", module: s.module.name, durationMs: s.module.durationMs ?? 0, queries: s.module.queries });
        case "finding":
          return emit({ type: "migrate:finding", kind: s.finding.kind, message: s.finding.message, modules: s.finding.modules });
        case "record": {
          const r = s.record;
          if (r.level === "WARNING" || r.level === "ERROR" || r.level === "CRITICAL") {
            emit({ type: "migrate:log", level: r.level, logger: r.logger, message: r.message });
          }
        }
      }
    });
    // stdout gets its own parser: interleaving it with stderr would cut tracebacks apart.
    const stdoutAnalyzer = new OdooLogAnalyzer();
    emit({ type: "migrate:start", command: report.command, runner: options.runner.description });
    const t1 = performance.now();
    const result = await options.runner.exec(argv, {
      ...(options.env ? { env: options.env } : {}),
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      maxBuffer: 1024 * 1024,
      onStderrLine: onLine(analyzer),
      onStdoutLine: onLine(stdoutAnalyzer),
    });
    analyzer.end();
    stdoutAnalyzer.end();
    emit({ type: "migrate:exit", exitCode: result.exitCode, durationMs: result.durationMs, timedOut: result.timedOut });
    if (result.canceled || options.signal?.aborted) {
      throw new AbortedError("migrate aborted: odoo-bin was stopped", { details: { command: report.command, durationMs: result.durationMs } });
    }
    if (result.exitCode === 127) {
      throw new EnvironmentError(`odoo-bin not found on ${options.runner.description}: ${argv[0]}`, {
        code: "ODOO_BIN_NOT_FOUND",
        details: { command: report.command, stderr: tail.slice(-5).join("\n") },
      });
    }
    report.exitCode = result.exitCode;
    report.timedOut = result.timedOut;
    const log = mergeSummaries(analyzer.summary(), stdoutAnalyzer.summary());
    const { preamble, ...logRest } = log;
    report.log = { ...logRest, tail };

    const ran = `${formatDuration(result.durationMs)}`;
    if (result.timedOut) {
      fail({ name: "odoo-bin", status: "failed", detail: `killed after the ${formatDuration(options.timeoutMs ?? 0)} timeout`, durationMs: durationSince(t1) });
    } else if (result.exitCode !== 0) {
      const why = log.findings.find((f) => f.level === "CRITICAL") ?? log.findings[0];
      fail({
        name: "odoo-bin",
        status: "failed",
        detail: `exit code ${result.exitCode ?? "none (killed by a signal)"} after ${ran}${why ? `: ${why.message}` : preamble.length > 0 ? `: ${preamble[preamble.length - 1]}` : ""}`,
        durationMs: durationSince(t1),
      });
    } else {
      report.checks.push({ name: "odoo-bin", status: "ok", detail: `exit code 0 after ${ran}`, durationMs: durationSince(t1) });
    }

    // 4. The log: exit code 0 is not trusted (misspelled names and uninstallable modules exit 0).
    if (log.findings.length > 0) {
      report.checks.push({ name: "log", status: "failed", detail: summarizeFindings(log.findings) });
      for (const f of dedupe(log.findings)) report.reasons.push(`log: ${findingSentence(f)}`);
    } else if (log.records === 0) {
      report.checks.push({
        name: "log",
        status: "skipped",
        detail: "no Odoo log record on stderr or stdout (is `logfile` set in the Odoo config?); relying on the database checks",
      });
    } else {
      const loaded = log.modules.filter((m) => m.durationMs !== undefined).length;
      report.checks.push({ name: "log", status: "ok", detail: `${log.records} records, no warning of failure, ${loaded} module(s) loaded` });
    }

    // 5. The database: the only witness that cannot be fooled.
    throwIfAborted(options.signal);
    if (odooSidePaths?.length) {
      // Only the manifests verification needs, one `cat` each on the Odoo host.
      const names = [...new Set([...(await updatedModules(client, update)), ...install, ...report.pendingBefore.map((p) => p.name)])];
      manifestVersions = new Map();
      for (const [name, m] of await readRemoteManifests(options.runner, odooSidePaths, names, options.signal)) {
        if (m instanceof ManifestSyntaxError) unreadableManifests.set(name, m.message);
        else manifestVersions.set(name, m.version);
      }
    }
    const verified = await checkModules(client, {
      update,
      install,
      leftovers: report.pendingBefore.map((p) => p.name),
      ...(manifestVersions ? { manifestVersions } : {}),
      unreadableManifests,
    });
    report.modules = verified.modules;
    report.pending = verified.pending;
    for (const c of verified.checks) {
      if (c.status === "failed") fail(c);
      else report.checks.push(c);
    }

    // 6. Records, only when everything agrees.
    if (report.checks.some((c) => c.status === "failed")) return finish();
    const t2 = performance.now();
    try {
      const done: string[] = [];
      if (options.revision) {
        await setConfigParameter(client, DEPLOYED_REVISION_KEY, options.revision);
        report.recorded.revision = options.revision;
        done.push(`${DEPLOYED_REVISION_KEY} = ${options.revision}`);
      }
      const sums = await recordChecksums(client, addons);
      if (sums !== undefined) {
        report.recorded.checksums = sums;
        done.push(`checksums of ${sums} module(s)`);
      }
      emit({ type: "migrate:recorded", ...report.recorded });
      report.checks.push({
        name: "records",
        status: done.length > 0 ? "ok" : "skipped",
        detail: done.length > 0 ? done.join("; ") : "no revision given and no local addons paths for checksums",
        durationMs: durationSince(t2),
      });
    } catch (e) {
      fail({ name: "records", status: "failed", detail: `writing records failed: ${e instanceof Error ? e.message : String(e)}`, durationMs: durationSince(t2) });
    }
    return finish();
  } finally {
    if (locked) await releaseUpdateLock(client, options.dbName).catch(() => {});
    await client.end().catch(() => {});
  }
}

/** argv fit to show: values of odoo-bin's password options masked (`-w`, `--db_password`, `--admin_passwd`…). */
function displayArgv(argv: readonly string[]): string[] {
  const secret = /^(-w|--db_password|--admin_passwd|--smtp-password|--smtp_password)$/;
  return argv.map((a, i) => {
    if (i > 0 && secret.test(argv[i - 1]!)) return "***";
    const eq = a.indexOf("=");
    return eq > 0 && secret.test(a.slice(0, eq)) ? `${a.slice(0, eq)}=***` : a;
  });
}

/** The URL of the target database: `dbUrl` itself, or pointed at `dbName` when it names no database. */
function targetUrl(dbUrl: string, dbName: string): string {
  const db = parseDbUrl(dbUrl).database;
  if (db === undefined) return withDatabase(dbUrl, dbName);
  if (db !== dbName) {
    throw new UsageError(`--db-url points at database "${db}" but the database to migrate is "${dbName}"`, {
      code: "DB_NAME_MISMATCH",
      details: { urlDatabase: db, dbName },
    });
  }
  return dbUrl;
}

function mergeSummaries(a: OdooLogSummary, b: OdooLogSummary): OdooLogSummary {
  if (b.records === 0) return { ...a, preamble: [...a.preamble, ...b.preamble] };
  return {
    ...a,
    records: a.records + b.records,
    notable: [...a.notable, ...b.notable],
    findings: [...a.findings, ...b.findings],
    modules: [...a.modules, ...b.modules],
    preamble: [...a.preamble, ...b.preamble],
  };
}

/** A CRITICAL/ERROR record repeated with the same traceback (registry, then database init) is named once. */
function dedupe(findings: readonly OdooLogFinding[]): OdooLogFinding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const k = `${f.kind}|${f.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function findingSentence(f: OdooLogFinding): string {
  return `${f.level} ${f.logger}: ${f.message}${f.file ? ` (${f.file})` : ""}`;
}

function summarizeFindings(findings: readonly OdooLogFinding[]): string {
  const kinds = [...new Set(findings.map((f) => f.kind))];
  return kinds
    .map((k) => {
      const mods = [...new Set(findings.filter((f) => f.kind === k).flatMap((f) => f.modules ?? []))];
      return mods.length > 0 ? `${k} (${mods.join(", ")})` : k;
    })
    .join(", ");
}

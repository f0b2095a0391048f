import type pg from "pg";
import { readOdooAddonsPath } from "../addons/odoo-config.js";
import { columnTypes, displayText } from "../db/catalog.js";
import { withClient, withDatabase } from "../db/connection.js";
import { AbortedError, EnvironmentError, UsageError } from "../errors.js";
import { durationSince, timedCheck, type Check, type EventHandler, type ReportBase } from "../report.js";
import { StepRecorder, type StepEvent } from "../steps.js";
import { createLocalRunner } from "../runner/local.js";
import type { CommandRunner } from "../runner/types.js";

/** Options of {@link neutralizeDatabase}. */
export interface NeutralizeDatabaseOptions {
  /** The Odoo database to neutralize. */
  dbName: string;
  /** PostgreSQL URL reaching it (for the idempotence test, the addons check, verification and credentials). */
  dbUrl: string;
  /** Where odoo-bin runs (default: this host). */
  runner?: CommandRunner;
  /** odoo-bin, or an argv prefix replacing it (default `odoo-bin`). */
  odooBin?: string | readonly string[];
  /** Odoo's config file, as the Odoo host sees it (`-c`). */
  odooConfig?: string;
  /**
   * Every directory Odoo loads modules from, as the Odoo host sees it. Default: `addons_path` of `odooConfig`,
   * read through the runner. `base` is always taken as present (Odoo always adds its own odoo/addons).
   */
  addonsPaths?: readonly string[];
  /** Extra arguments for odoo-bin. */
  extraArgs?: readonly string[];
  /** Environment for odoo-bin (secrets: never reported). */
  env?: Record<string, string>;
  /** Run odoo-bin neutralize even when `database.is_neutralized` is already set. */
  force?: boolean;
  /** Leave SMTP / fetchmail credentials in place (Odoo leaves them in clear text). */
  keepCredentials?: boolean;
  /** Timeout of odoo-bin neutralize in ms (default 10 minutes). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onEvent?: EventHandler<NeutralizeEvent>;
}

/** Progress of {@link neutralizeDatabase}. */
export type NeutralizeEvent =
  | StepEvent<"neutralize">
  | { type: "neutralize:log"; line: string };

/** Report of {@link neutralizeDatabase}: `steps` it took, `checks` of the neutralized state. */
export interface NeutralizeReport extends ReportBase {
  dbName: string;
  /** `database.is_neutralized` was already true before this run. */
  alreadyNeutralized: boolean;
  /** odoo-bin neutralize ran in this call. */
  ran: boolean;
  /** Installed modules missing from the addons path (their neutralize SQL would be skipped silently). */
  missingModules: string[];
  /** Mail/fetchmail server rows whose stored credentials were cleared. */
  credentialsCleared: number;
  exitCode?: number | null;
  steps: Check[];
  checks: Check[];
}

const AUTOVACUUM = "SELECT res_id FROM ir_model_data WHERE model = 'ir.cron' AND module = 'base' AND name = 'autovacuum_job'";

/** Credential columns per table, those present in the database are cleared. */
const CREDENTIAL_COLUMNS: Record<string, string[]> = {
  ir_mail_server: ["smtp_pass", "smtp_user", "smtp_ssl_private_key", "google_gmail_refresh_token", "google_gmail_access_token", "google_gmail_authorization_code", "microsoft_outlook_refresh_token", "microsoft_outlook_access_token"],
  fetchmail_server: ["password", "google_gmail_refresh_token", "google_gmail_access_token", "google_gmail_authorization_code", "microsoft_outlook_refresh_token", "microsoft_outlook_access_token"],
};

/**
 * Neutralizes a copy of a production database with `odoo-bin neutralize -d DB` (Odoo 16+) run through any
 * runner, idempotently: when `database.is_neutralized` is already set nothing runs again (unless `force`),
 * since Odoo's own command is not idempotent. Refuses (report not ok, odoo-bin not run) when installed
 * modules are missing from the addons path, because Odoo silently skips their neutralize SQL. Then clears the
 * SMTP / fetchmail credentials Odoo leaves in clear text (unless `keepCredentials`) and verifies: crons
 * inactive except the autovacuum job, every active outgoing mail server Odoo's dummy (host `invalid`),
 * fetchmail servers inactive, `database.is_neutralized` set, no credential left.
 *
 * @example
 * const r = await neutralizeDatabase({ dbName: "staging", dbUrl: "postgres:///staging", odooConfig: "/etc/odoo/odoo.conf" });
 * if (!r.ok) console.error(r.checks.filter((c) => c.status === "failed"));
 */
export async function neutralizeDatabase(o: NeutralizeDatabaseOptions): Promise<NeutralizeReport> {
  const start = performance.now();
  if (!o.dbName) throw new UsageError("neutralize needs the Odoo database name", { code: "MISSING_DB_NAME" });
  const url = withDatabase(o.dbUrl, o.dbName);
  const runner = o.runner ?? createLocalRunner();
  const recorder = new StepRecorder("neutralize", { ...(o.onEvent ? { onEvent: o.onEvent } : {}), ...(o.signal ? { signal: o.signal } : {}) });
  const steps = recorder.steps;
  const checks: Check[] = [];
  const step = (c: Check) => recorder.record(c);
  const aborted = () => {
    if (o.signal?.aborted) throw new AbortedError("neutralize aborted");
  };
  const report = (extra: Partial<NeutralizeReport>): NeutralizeReport => {
    const all = [...steps, ...checks];
    return {
      ok: all.every((c) => c.status !== "failed"),
      durationMs: durationSince(start),
      dbName: o.dbName,
      alreadyNeutralized: false,
      ran: false,
      missingModules: [],
      credentialsCleared: 0,
      ...extra,
      steps,
      checks,
    };
  };

  // 1. What state is the database in?
  const { alreadyNeutralized, installed } = await withClient(url, async (c) => {
    const isOdoo = (await c.query("SELECT 1 FROM pg_class WHERE relname = 'ir_module_module' AND relkind = 'r'")).rowCount;
    if (!isOdoo) throw new EnvironmentError(`neutralize: ${o.dbName} is not an Odoo database (no ir_module_module)`, { code: "NOT_ODOO_DATABASE" });
    const flag = await c.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'");
    const mods = await c.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state IN ('installed', 'to upgrade', 'to remove') ORDER BY name");
    return { alreadyNeutralized: flag.rows[0]?.value?.toLowerCase() === "true", installed: mods.rows.map((r) => r.name) };
  });
  aborted();

  // 2. Would Odoo skip some module's neutralize SQL? Then refuse.
  const runNeeded = !alreadyNeutralized || !!o.force;
  let missingModules: string[] = [];
  if (runNeeded) {
    const t = performance.now();
    const paths = o.addonsPaths ?? (o.odooConfig ? await readOdooAddonsPath(runner, o.odooConfig, o.signal) : undefined);
    if (!paths?.length) {
      step({
        name: "addons-path",
        status: "failed",
        detail: "cannot tell which installed modules Odoo would skip: give the addons path (as the Odoo host sees it) or an Odoo config with addons_path",
        durationMs: durationSince(t),
      });
      return report({ alreadyNeutralized });
    }
    const present = await modulesOnAddonsPath(runner, paths, o.signal);
    missingModules = installed.filter((m) => m !== "base" && !present.has(m));
    step({
      name: "addons-path",
      status: missingModules.length ? "failed" : "ok",
      detail: missingModules.length
        ? `installed modules missing from the addons path (Odoo would skip their neutralize SQL silently): ${missingModules.join(", ")}`
        : `${installed.length} installed modules found on ${paths.length} path(s)`,
      durationMs: durationSince(t),
    });
    if (missingModules.length) return report({ alreadyNeutralized, missingModules });
  }
  aborted();

  // 3. odoo-bin neutralize
  let exitCode: number | null | undefined;
  if (!runNeeded) {
    step({ name: "odoo-bin neutralize", status: "skipped", detail: "database.is_neutralized is already set (use force to run again)" });
  } else {
    const t = performance.now();
    const argv = [...(typeof o.odooBin === "string" ? [o.odooBin] : (o.odooBin ?? ["odoo-bin"])), "neutralize", ...(o.odooConfig ? ["-c", o.odooConfig] : []), "-d", o.dbName, ...(o.extraArgs ?? [])];
    let critical: string | undefined;
    const r = await runner.exec(argv, {
      ...(o.env ? { env: o.env } : {}),
      timeout: o.timeoutMs ?? 600_000,
      ...(o.signal ? { signal: o.signal } : {}),
      onStderrLine: (line) => {
        if (/ CRITICAL /.test(line)) critical ??= line.replace(/^.*? CRITICAL \S+ [\w.]+: /, "").trim();
        o.onEvent?.({ type: "neutralize:log", line });
      },
    });
    aborted();
    exitCode = r.exitCode;
    const okRun = r.exitCode === 0 && !r.timedOut;
    step({
      name: "odoo-bin neutralize",
      status: okRun ? "ok" : "failed",
      detail: okRun
        ? `exit 0 (${r.command})`
        : r.exitCode === 127
          ? `odoo-bin not found: ${argv[0]}`
          : `${r.timedOut ? "timed out" : `exit ${r.exitCode}`}${critical ? `: ${critical}` : ""}`,
      durationMs: durationSince(t),
    });
    if (!okRun) return report({ alreadyNeutralized, ran: true, exitCode });
  }

  // 4. Credentials and verification, on one connection
  let credentialsCleared = 0;
  await withClient(url, async (c) => {
    if (o.keepCredentials) step({ name: "clear credentials", status: "skipped", detail: "keepCredentials" });
    else {
      const t = performance.now();
      credentialsCleared = await clearCredentials(c);
      step({ name: "clear credentials", status: "ok", detail: `${credentialsCleared} server row(s) cleared`, durationMs: durationSince(t) });
    }
    checks.push(...(await verifyNeutralized(c, !o.keepCredentials)));
  });
  return report({ alreadyNeutralized, ran: runNeeded, missingModules, credentialsCleared, ...(exitCode === undefined ? {} : { exitCode }) });
}

/** Sets every stored credential column to NULL where it is set; returns the rows changed. */
async function clearCredentials(c: pg.Client): Promise<number> {
  let n = 0;
  for (const [table, wanted] of Object.entries(CREDENTIAL_COLUMNS)) {
    const have = await columnTypes(c, table);
    const cols = wanted.filter((w) => have.has(w));
    if (!cols.length) continue;
    const r = await c.query(`UPDATE ${table} SET ${cols.map((k) => `"${k}" = NULL`).join(", ")} WHERE ${cols.map((k) => `"${k}" IS NOT NULL`).join(" OR ")}`);
    n += r.rowCount ?? 0;
  }
  return n;
}

/** The checks of a neutralized database (ODOO-FACTS.md, `odoo-bin neutralize`). */
async function verifyNeutralized(c: pg.Client, credentials: boolean): Promise<Check[]> {
  const checks: Check[] = [];
  checks.push(
    await timedCheck("crons inactive", async () => {
      // cron_name is jsonb (translated) in 16 and varchar in 17 and 18.
      const name = displayText("cron_name", (await columnTypes(c, "ir_cron")).get("cron_name"));
      const r = await c.query<{ id: number; name: string }>(`SELECT id, ${name} AS name FROM ir_cron WHERE active AND id NOT IN (${AUTOVACUUM}) ORDER BY id`);
      return r.rows.length ? { status: "failed", detail: `still active: ${r.rows.map((x) => `${x.id} ${x.name}`).join(", ")}` } : "only the autovacuum job is active";
    }),
  );
  checks.push(
    await timedCheck("outgoing mail disabled", async () => {
      const r = await c.query<{ id: number; name: string; smtp_host: string }>("SELECT id, name, smtp_host FROM ir_mail_server WHERE active ORDER BY id");
      const real = r.rows.filter((x) => x.smtp_host !== "invalid");
      if (real.length) return { status: "failed", detail: `active outgoing servers: ${real.map((x) => `${x.id} ${x.name} (${x.smtp_host})`).join(", ")}` };
      if (!r.rows.length) return { status: "failed", detail: "no active dummy server (host invalid): Odoo would fall back to the command-line SMTP settings" };
      return `every active outgoing server is Odoo's dummy (${r.rows.length})`;
    }),
  );
  const hasFetchmail = (await c.query("SELECT 1 FROM pg_class WHERE relname = 'fetchmail_server' AND relkind = 'r'")).rowCount;
  checks.push(
    hasFetchmail
      ? await timedCheck("incoming mail disabled", async () => {
          const r = await c.query<{ id: number; name: string }>("SELECT id, name FROM fetchmail_server WHERE active ORDER BY id");
          return r.rows.length ? { status: "failed", detail: `active fetchmail servers: ${r.rows.map((x) => `${x.id} ${x.name}`).join(", ")}` } : "no active fetchmail server";
        })
      : { name: "incoming mail disabled", status: "skipped", detail: "no fetchmail_server table" },
  );
  checks.push(
    await timedCheck("database.is_neutralized", async () => {
      const r = await c.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = 'database.is_neutralized'");
      return r.rows[0]?.value?.toLowerCase() === "true" ? "true" : { status: "failed", detail: `is ${r.rows[0] ? JSON.stringify(r.rows[0].value) : "missing"}` };
    }),
  );
  if (!credentials) checks.push({ name: "no stored credentials", status: "skipped", detail: "keepCredentials" });
  else
    checks.push(
      await timedCheck("no stored credentials", async () => {
        const left: string[] = [];
        for (const [table, wanted] of Object.entries(CREDENTIAL_COLUMNS)) {
          const have = await columnTypes(c, table);
          const cols = wanted.filter((w) => have.has(w));
          if (!cols.length) continue;
          const r = await c.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE ${cols.map((k) => `"${k}" IS NOT NULL`).join(" OR ")}`);
          if (r.rows[0]!.n) left.push(`${table}: ${r.rows[0]!.n}`);
        }
        return left.length ? { status: "failed", detail: `credentials left: ${left.join(", ")}` } : "none";
      }),
    );
  return checks;
}

/** Module names (directories holding `__manifest__.py`) on the addons path, listed on the runner's side. */
async function modulesOnAddonsPath(runner: CommandRunner, paths: readonly string[], signal?: AbortSignal): Promise<Set<string>> {
  const found = new Set<string>();
  for (const p of paths) {
    const r = await runner.exec(["find", "-L", p, "-mindepth", "2", "-maxdepth", "2", "-name", "__manifest__.py"], signal ? { signal } : {});
    for (const line of r.stdout.split("\n")) {
      const m = /([^/]+)\/__manifest__\.py$/.exec(line.trim());
      if (m) found.add(m[1]!);
    }
  }
  return found;
}

import { existsSync } from "node:fs";
import path from "node:path";
import type { FilestorePolicy, RefreshReport, RefreshStagingOptions } from "@odoo-deploy/anonymizer";
import { createLocalRunner, formatBytes, formatDuration, parseDbUrl, parseDuration, UsageError, type CommandRunner, type FilestoreLocation } from "@odoo-deploy/core";
import { defineCommand, type CommandContext, type CommandDefinition } from "../command.js";
import { FLAGS } from "../flags.js";
import { anonymizer } from "../lazy.js";
import type { HumanOutput } from "../render/human.js";
import { stepsShown } from "../render/refresh-progress.js";
import { odooBinRunner, odooHostRunner } from "../runners.js";
import { serviceFromSettings } from "../service.js";
import { DEFAULT_SECRET_ENV, secretFromEnv } from "./anonymize.js";

/**
 * The filestore policies, as the flag's choices. Written out rather than imported: importing a value of the
 * anonymizer at start-up would load faker for every command (see lazy.ts); `satisfies` keeps them in step.
 */
const POLICIES = ["none", "placeholders", "public", "all"] as const satisfies readonly FilestorePolicy[];

/** The flags, each also a key of the `staging` section of odoo-deploy.yaml. */
const flags = {
  sourceUrl: { ...FLAGS.sourceUrl, description: "PostgreSQL URL of the production database, read on one snapshot (read only); or --from-backup", configKey: "staging.sourceUrl" },
  fromBackup: {
    flags: "--from-backup <path>",
    description: "a backup (pg_dump -Fc file, Odoo zip, odoo-deploy backup directory) or a directory of backups (the newest verified one), streamed through the anonymizer on its way in; or --source-url",
    configKey: "staging.fromBackup",
  },
  targetUrl: { ...FLAGS.targetUrl, description: "PostgreSQL URL of the staging database to replace (the new copy is built beside it, swapped in when complete)", configKey: "staging.targetUrl" },
  preset: { flags: "--preset <name>", description: "start the rules from a preset (default anonymize.preset)", configKey: "staging.preset", choices: ["odoo"] },
  rules: { flags: "--rules <file>", description: "rules file, YAML (default anonymize.rules)", configKey: "staging.rules" },
  secretEnv: { flags: "--secret-env <var>", description: `environment variable holding the anonymization secret (default anonymize.secretEnv, else ${DEFAULT_SECRET_ENV})`, configKey: "staging.secretEnv" },
  jobs: { flags: "--jobs <n>", description: "parallel COPY streams of a live copy (default: one per core, at most 8)", configKey: "staging.jobs", parse: "int" },
  baseUrl: { flags: "--base-url <url>", description: "web.base.url of the new staging (frozen); the report's URL", configKey: "staging.baseUrl" },
  ribbon: { flags: "--ribbon <text>", description: "ribbon / banner text shown on staging", configKey: "staging.ribbon" },
  filestore: {
    flags: "--filestore <policy>",
    description: "none; placeholders (default: each referenced file replaced by a blank one of its type); public (public files and product/website images copied, the rest placeholders); all",
    configKey: "staging.filestore",
    choices: POLICIES,
  },
  sourceFilestore: { flags: "--source-filestore <dir>", description: "production's filestore (<data_dir>/filestore/<db>) on this host, for --filestore public|all", configKey: "staging.sourceFilestore" },
  targetFilestore: { flags: "--target-filestore <dir>", description: "the staging filestore (<data_dir>/filestore/<staging db>); without it files are not touched", configKey: "staging.targetFilestore" },
  postSql: { flags: "--post-sql <file>", description: "SQL run in one transaction on the new copy after neutralization; its failure stops the refresh", configKey: "staging.postSql" },
  canary: { flags: "--canary <value...>", description: "a value that must not be found anywhere in the new staging (repeatable)", configKey: "staging.canaries", parse: "repeatable" },
  leakScanRows: { flags: "--leak-scan-rows <n>", description: "rows of each source table whose values the leak scan searches (default 20000; 0: every distinct value)", configKey: "staging.leakScanRows", parse: "int" },
  keep: { flags: "--keep <n>", description: "replaced stagings kept aside as <db>_before_<id>, newest first (default 1)", configKey: "staging.keep", parse: "int" },
  container: { ...FLAGS.serviceContainer, description: "the staging Odoo is this Docker container", configKey: "staging.service.container" },
  composeService: { ...FLAGS.serviceComposeService, description: "the staging Odoo is this Compose service (docker compose through odoo.runner)", configKey: "staging.service.composeService" },
  systemdUnit: { ...FLAGS.systemdUnit, description: "the staging Odoo is this systemd unit (systemctl through odoo.runner)", configKey: "staging.service.systemdUnit" },
  stopCommand: { ...FLAGS.stopCommand, description: "shell command stopping all of the staging Odoo (run through odoo.runner)", configKey: "staging.service.stopCommand" },
  startCommand: { ...FLAGS.startCommand, description: "shell command starting the staging Odoo (run through odoo.runner)", configKey: "staging.service.startCommand" },
  odooBin: { ...FLAGS.odooBin, description: "odoo-bin of the staging Odoo, for neutralize (default odoo.odooBin)", configKey: "staging.odooBin" },
  odooConfig: { ...FLAGS.odooConfig, description: "the staging Odoo's config file, as its host sees it (default odoo.configPath)", configKey: "staging.odooConfig" },
  healthUrl: { ...FLAGS.healthUrl, description: "base URL of the staging server, checked after the swap (database-aware); without it health is skipped", configKey: "staging.healthUrl" },
  healthTimeout: { ...FLAGS.healthTimeout, configKey: "staging.healthTimeout" },
  notifyUrl: { ...FLAGS.notifyUrl, configKey: "staging.notifyUrl" },
  lockTimeout: { flags: "--lock-timeout <duration>", description: "wait this long for another refresh of the same staging (default 0: refuse at once)", configKey: "staging.lockTimeout" },
} as const;

type Flags = typeof flags;
type Refresh = (options: RefreshStagingOptions) => Promise<RefreshReport>;

const ms = (d: string | number | undefined) => (d === undefined ? undefined : typeof d === "number" ? d : parseDuration(d));

/**
 * The library's options from the settings (flags < … as everywhere, except that a source given as a flag
 * replaces the other kind of source from the file), checked before anything runs: every usage error is
 * exit 2 here, not an hour into the copy. Returns what to close afterwards.
 *
 * @example const { options, close } = await refreshStagingOptions(ctx); try { await refreshStaging(options) } finally { await close() }
 */
export async function refreshStagingOptions(ctx: CommandContext<Flags>): Promise<{ options: RefreshStagingOptions; close: () => Promise<void> }> {
  const s = ctx.settings;
  const st = s.staging ?? {};
  const cmd = "refresh-staging";
  const resolve = (p: string) => path.resolve(ctx.io.cwd, p);

  // The source: exactly one. A flag wins over the file's other kind (a one-off refresh from a backup where the
  // file names the production URL); both as flags, or both in the file, is a usage error.
  let source: { sourceUrl: string } | { fromBackup: string };
  if (ctx.flags.sourceUrl && ctx.flags.fromBackup) {
    throw new UsageError(`${cmd}: give one source, --source-url or --from-backup, not both`, { code: "SOURCE_SPEC" });
  } else if (ctx.flags.sourceUrl) {
    source = { sourceUrl: ctx.flags.sourceUrl };
  } else if (ctx.flags.fromBackup) {
    source = { fromBackup: ctx.flags.fromBackup };
  } else if (st.sourceUrl && st.fromBackup) {
    throw new UsageError(`${cmd}: staging.sourceUrl and staging.fromBackup are both set; keep one (or choose with --source-url / --from-backup)`, { code: "SOURCE_SPEC" });
  } else if (st.sourceUrl) {
    source = { sourceUrl: st.sourceUrl };
  } else if (st.fromBackup) {
    source = { fromBackup: st.fromBackup };
  } else {
    throw new UsageError(`${cmd} needs a source: --source-url URL (the production database) or --from-backup PATH (or staging.sourceUrl / staging.fromBackup)`, { code: "SOURCE_SPEC" });
  }
  if ("sourceUrl" in source) parseDbUrl(source.sourceUrl);
  else {
    source = { fromBackup: resolve(source.fromBackup) };
    if (!existsSync(source.fromBackup)) throw new UsageError(`${cmd}: --from-backup ${source.fromBackup}: no such file or directory`, { code: "BACKUP_NOT_FOUND" });
  }

  // The target is never defaulted (not from database.url): a refresh replaces the database it names.
  if (!st.targetUrl) throw new UsageError(`${cmd} needs the staging database to replace: --target-url URL (or staging.targetUrl)`, { code: "MISSING_TARGET_URL" });
  if (!parseDbUrl(st.targetUrl).database) throw new UsageError(`${cmd}: --target-url must name the staging database (postgres://…/odoo_staging)`, { code: "MISSING_DB_NAME" });

  const policy = st.filestore ?? "placeholders";
  if ((policy === "public" || policy === "all") && "sourceUrl" in source && !st.sourceFilestore) {
    throw new UsageError(`${cmd}: --filestore ${policy} copies production's files: give --source-filestore DIR (or use placeholders)`, { code: "MISSING_SOURCE_FILESTORE" });
  }
  const postSqlFile = st.postSql ? resolve(st.postSql) : undefined;
  if (postSqlFile && !existsSync(postSqlFile)) throw new UsageError(`${cmd}: --post-sql ${postSqlFile}: no such file`, { code: "POST_SQL_NOT_FOUND" });
  const rulesFile = (st.rules ?? s.anonymize?.rules) === undefined ? undefined : resolve((st.rules ?? s.anonymize?.rules)!);
  if (rulesFile && !existsSync(rulesFile)) throw new UsageError(`${cmd}: --rules ${rulesFile}: no such file`, { code: "RULES_NOT_FOUND" });
  const preset = st.preset ?? s.anonymize?.preset;
  const secret = secretFromEnv(ctx, st.secretEnv ?? s.anonymize?.secretEnv);
  const jobs = st.jobs ?? s.anonymize?.jobs;
  const healthTimeoutMs = ms(st.healthTimeout);
  const lockTimeoutMs = ms(st.lockTimeout);

  // The service last among the checks: it is the one that opens runners (closed on any later error).
  const { service, close: closeService } = serviceFromSettings(s, cmd, "staging");
  const runners: CommandRunner[] = [];
  const keep = <R extends CommandRunner>(r: R): R => (runners.push(r), r);
  const close = async () => {
    await closeService();
    for (const r of runners) await r.close();
  };
  try {
    const local = keep(createLocalRunner());
    const odooRunner = keep(odooBinRunner(s));
    const odooBin = st.odooBin ?? s.odoo?.odooBin;
    const odooConfig = st.odooConfig ?? s.odoo?.configPath;
    const sourceFilestore: FilestoreLocation | undefined = st.sourceFilestore ? { dir: resolve(st.sourceFilestore), runner: local } : undefined;
    const onOdoo = st.targetFilestoreOn === "odoo";
    const targetFilestore: FilestoreLocation | undefined = st.targetFilestore
      ? { dir: onOdoo ? st.targetFilestore : resolve(st.targetFilestore), runner: onOdoo ? keep(odooHostRunner(s)) : local }
      : undefined;
    return {
      options: {
        ...source,
        targetUrl: st.targetUrl,
        ...(rulesFile ? { rulesFile } : {}),
        ...(preset ? { preset } : {}),
        env: ctx.io.env,
        ...(secret ? { secret } : {}),
        ...(jobs ? { jobs } : {}),
        ...(st.baseUrl ? { baseUrl: st.baseUrl } : {}),
        ...(st.ribbon ? { ribbon: st.ribbon } : {}),
        ...(postSqlFile ? { postSqlFile } : {}),
        filestore: policy,
        ...(sourceFilestore ? { sourceFilestore } : {}),
        ...(targetFilestore ? { targetFilestore } : {}),
        ...(st.canaries?.length ? { canaries: st.canaries } : {}),
        ...(st.keep !== undefined ? { keep: st.keep } : {}),
        ...(st.leakScanRows !== undefined ? { leakScanRows: st.leakScanRows } : {}),
        service,
        odooRunner,
        ...(odooBin ? { odooBin } : {}),
        ...(odooConfig ? { odooConfig } : {}),
        ...(st.healthUrl ? { healthUrl: st.healthUrl } : {}),
        ...(healthTimeoutMs !== undefined ? { healthTimeoutMs } : {}),
        ...(st.notifyUrl ? { notifyUrl: st.notifyUrl } : {}),
        ...(lockTimeoutMs !== undefined ? { lockTimeoutMs } : {}),
        signal: ctx.signal,
        onEvent: ctx.onEvent,
      },
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * `odoo-deploy refresh-staging` around a given refresh function: the command users run passes the library's
 * `refreshStaging`; tests pass a stand-in to check the flags, the config and the rendering without a cluster.
 *
 * @example const cmd = refreshStagingCommand(async (o) => (await import("@odoo-deploy/anonymizer")).refreshStaging(o));
 */
export function refreshStagingCommand(refresh: Refresh): CommandDefinition<RefreshReport, Flags> {
  return defineCommand({
    path: "refresh-staging",
    summary: "Rebuild staging from production or a backup: anonymized (fail-closed), neutralized, set up for staging, filestore by policy, swapped in only when complete and healthy, leak-scanned; the old staging serves until then and again after any failure",
    flags,
    async run(ctx) {
      const { options, close } = await refreshStagingOptions(ctx);
      try {
        return await refresh(options);
      } finally {
        await close();
      }
    },
    render: renderRefresh,
  });
}

/** The staging refresh's report for people: what came from where, the numbers, the leak scan, the URL, what failed and where staging stands. */
function renderRefresh(r: RefreshReport, out: HumanOutput): void {
  const from = r.source.kind === "database" ? `${r.source.database} (live, one snapshot)` : `${r.source.backup.path} (${r.source.backup.kind}${r.source.backup.verified ? ", verified" : ""})`;
  out.heading(`Refresh ${r.id} of staging ${r.database} from ${from}`);
  // Steps were shown as they ended; those that were not (no event, or --quiet) are shown here.
  const shown = stepsShown(out);
  for (const step of r.steps) {
    const n = shown.get(step.name) ?? 0;
    if (n > 0) shown.set(step.name, n - 1);
    else out.check(step);
  }
  const copy = r.anonymize ?? r.restore;
  const fs = r.filestore;
  const verify = r.verify;
  const leaks = verify
    ? verify.leaks.length === 0
      ? `0 leaks (${verify.scanned.columns} columns, ${verify.scanned.values.toLocaleString("en")} original values searched)`
      : `${verify.leaks.length} LEAK${verify.leaks.length > 1 ? "S" : ""}: ${verify.leaks.map((l) => `${l.table}.${l.column} ×${l.count}${l.kind === "canary" ? ` (canary #${(l.canary ?? 0) + 1})` : ""}`).join(", ")}`
    : undefined;
  out.table([
    ["rows", r.rows.toLocaleString("en")],
    ["copied", copy ? `${formatBytes(copy.bytes)} in ${formatDuration(copy.durationMs)}` : undefined],
    ["database", r.databaseBytes !== undefined ? formatBytes(r.databaseBytes) : undefined],
    [
      "filestore",
      fs
        ? `${fs.policy}: ${fs.files.toLocaleString("en")} files, ${formatBytes(fs.bytes)} (${fs.placeholders} placeholders, ${fs.copied} copied${fs.linked ? `, ${fs.linked} hard-linked` : ""}${fs.missing ? `, ${fs.missing} missing in the source` : ""}${fs.databaseAttachmentsReplaced ? `, ${fs.databaseAttachmentsReplaced} in-database attachments replaced` : ""})`
        : undefined,
    ],
    ["neutralized", r.neutralize ? (r.neutralize.ok ? (r.neutralize.alreadyNeutralized ? "yes (already)" : "yes") : "FAILED") : undefined],
    ["health", r.health ? (r.health.ok ? `healthy after ${r.health.attempts} attempt(s)` : `unhealthy: ${r.health.reason ?? "?"}`) : undefined],
    ["leak scan", leaks],
    ["downtime", r.downtimeMs !== undefined ? formatDuration(r.downtimeMs) : undefined],
    ["kept aside", r.asideDatabase],
    ["dropped", r.dropped.length ? r.dropped.join(", ") : undefined],
    ["notified", r.notified ? `${r.notified.ok ? "yes" : "no"} (${r.notified.detail})` : undefined],
    ["url", r.url],
  ]);
  if (r.cleaned.length) out.line(`Cleaned up what killed runs left: ${r.cleaned.join(", ")}`);
  for (const w of r.warnings) out.line(`warning: ${w}`);
  if (r.failure) out.line(`  ${r.failure.step}: ${r.failure.message}`);
  if (r.ok) return out.verdict(true, `staging ${r.database} replaced in ${formatDuration(r.durationMs)}${r.url ? `: ${r.url}` : ""}`);
  const where = r.swappedBack
    ? "swapped back: the old staging serves again, the new copy was removed"
    : r.replaced
      ? "the new staging serves, but the refresh is not ok"
      : "the old staging was not touched and still serves";
  out.verdict(false, `${r.failure?.step ?? "refresh"} failed; ${where}`);
}

/** `odoo-deploy refresh-staging`: the library's refreshStaging, loaded when the command runs. */
export default refreshStagingCommand(async (options) => (await anonymizer()).refreshStaging(options));

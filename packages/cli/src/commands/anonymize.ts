import type { AnonymizeDumpReport, AnonymizeReport, AnonymizeStreamReport, RefreshEvent } from "@odoo-deploy/anonymizer";
import { formatBytes, formatDuration, UsageError } from "@odoo-deploy/core";
import { Writable, type Readable } from "node:stream";
import type { CommandContext, FlagSpecs } from "../command.js";
import { defineCommand } from "../command.js";
import { FLAGS } from "../flags.js";
import { anonymizer } from "../lazy.js";
import type { HumanOutput } from "../render/human.js";

/** The flags choosing the rules, shared by every anonymize command. */
export const rulesFlags = {
  rules: { flags: "--rules <file>", description: "Rules file (YAML)", configKey: "anonymize.rules" },
  preset: { flags: "--preset <name>", description: "Start from a preset", configKey: "anonymize.preset", choices: ["odoo"] },
} as const satisfies FlagSpecs;

/** Default variable holding the anonymization secret when `--secret-env` is not given. */
export const DEFAULT_SECRET_ENV = "ODOO_DEPLOY_ANONYMIZE_SECRET";

/**
 * The secret named by `--secret-env` (or the default variable); undefined lets the rules file's `secret` apply.
 * `name` is the variable a command's own setting names (refresh-staging's `staging.secretEnv`).
 */
export function secretFromEnv(ctx: CommandContext, name = ctx.settings.anonymize?.secretEnv): string | undefined {
  const value = ctx.io.env[name ?? DEFAULT_SECRET_ENV];
  if (name && !value) throw new UsageError(`--secret-env ${name}: the variable is not set`, { code: "NO_SECRET" });
  ctx.redactor.addSecret(value);
  return value || undefined;
}

/** Rules options shared by the anonymize commands. */
export function rulesOptions(ctx: CommandContext): { rulesFile?: string; preset?: "odoo"; env: Record<string, string | undefined> } {
  const a = ctx.settings.anonymize ?? {};
  return { ...(a.rules ? { rulesFile: a.rules } : {}), ...(a.preset ? { preset: a.preset } : {}), env: ctx.io.env };
}

type Report = AnonymizeReport | (AnonymizeStreamReport & { mode: "stream" }) | (AnonymizeDumpReport & { mode: "dump" });

/**
 * `odoo-deploy anonymize`: database to database (`--source-url`, `--target-url`), a backup file into another
 * (`--input`, `--output`), or a stream filter from stdin to stdout when neither is given.
 */
export default defineCommand({
  path: "anonymize",
  summary: "Anonymize a database into a new one (--source-url, --target-url), a backup file into another (--input, --output), or filter a plain SQL dump from stdin to stdout",
  flags: {
    sourceUrl: { ...FLAGS.sourceUrl, description: "PostgreSQL URL of the database to anonymize (read only)" },
    targetUrl: { ...FLAGS.targetUrl, description: "PostgreSQL URL of the database to create (must not exist unless --replace)" },
    ...rulesFlags,
    secretEnv: { flags: "--secret-env <var>", description: `Environment variable holding the secret (default ${DEFAULT_SECRET_ENV})`, configKey: "anonymize.secretEnv" },
    jobs: { flags: "--jobs <n>", description: "Parallel COPY streams (default: one per core, at most 8)", configKey: "anonymize.jobs", parse: "int" },
    replace: { flags: "--replace", description: "Swap an existing target for the anonymized copy once it succeeded", parse: "boolean" },
    input: { flags: "--input <path>", description: "A backup to anonymize into --output: a pg_dump -Fc file, an Odoo zip, a backup directory, or a directory of backups (newest verified)" },
    output: { flags: "--output <file>", description: "The anonymized backup file to write (must not exist)" },
    format: { flags: "--format <format>", description: "Format of --output (default: the input's)", choices: ["custom", "zip"] },
    workUrl: { flags: "--work-url <url>", description: "With a custom-format --output: PostgreSQL server where a temporary database is made, dumped and dropped" },
  },
  async run(ctx) {
    const sourceUrl = ctx.flags.sourceUrl;
    const targetUrl = ctx.flags.targetUrl;
    const secret = secretFromEnv(ctx);
    const { input, output } = ctx.flags;
    if (input || output) {
      if (!input || !output) throw new UsageError("anonymize needs both --input and --output to anonymize a backup file");
      if (sourceUrl || targetUrl) throw new UsageError("anonymize: --input/--output and --source-url/--target-url are two different modes; give one pair");
      const r = await (await anonymizer()).anonymizeDump({
        input,
        output,
        ...(ctx.flags.format ? { format: ctx.flags.format } : {}),
        ...(ctx.flags.workUrl ? { workUrl: ctx.flags.workUrl } : {}),
        ...rulesOptions(ctx),
        ...(secret ? { secret } : {}),
        signal: ctx.signal,
        onEvent: (e) => dumpEvent(e, ctx),
      });
      return { ...r, mode: "dump" } as Report;
    }
    if (sourceUrl || targetUrl) {
      if (!sourceUrl || !targetUrl) throw new UsageError("anonymize needs both --source-url and --target-url (or neither, to filter stdin to stdout)");
      return (await (await anonymizer()).anonymizeDatabase({
        sourceUrl,
        targetUrl,
        ...rulesOptions(ctx),
        ...(secret ? { secret } : {}),
        ...(ctx.settings.anonymize?.jobs ? { jobs: ctx.settings.anonymize.jobs } : {}),
        replace: Boolean(ctx.flags.replace),
        signal: ctx.signal,
        onEvent: ctx.onEvent,
      })) as Report;
    }
    // Stream filter: stdout carries the SQL, so no JSON report can go there.
    if (ctx.json) throw new UsageError("anonymize: --json is not available when filtering stdin to stdout (stdout carries the data)");
    if (!ctx.io.stdin) throw new UsageError("anonymize: no standard input to filter");
    const stdout = ctx.io.stdoutStream ?? new Writable({ write: (c: Buffer, _e, cb) => (ctx.io.stdout.write(c.toString()), cb()) });
    const r = await (await anonymizer()).anonymizeStream({
      input: ctx.io.stdin as Readable,
      output: stdout as Writable,
      ...rulesOptions(ctx),
      ...(secret ? { secret } : {}),
      signal: ctx.signal,
      onEvent: ctx.onEvent,
    });
    return { ...r, mode: "stream" } as Report;
  },
  render(r, out) {
    if ("mode" in r && r.mode === "dump") {
      out.heading(`Anonymize ${r.input.path} → ${r.output ?? "(nothing written)"}`);
      for (const c of r.steps) out.check(c);
      if (r.stream) renderTables(r.stream.tables, out);
      for (const w of r.warnings) out.line(out.dim(`note: ${w}`));
      out.verdict(r.ok, r.ok ? `${r.output} (${r.format}, ${formatBytes(r.bytes)}, ${r.rows.toLocaleString("en")} rows) in ${formatDuration(r.durationMs)}` : "nothing was written");
      return;
    }
    if ("mode" in r) {
      out.heading("Anonymized SQL stream");
      renderTables(r.tables, out);
      out.verdict(r.ok, `${r.rows.toLocaleString("en")} rows in ${formatDuration(r.durationMs)}`);
      return;
    }
    out.heading(`Anonymize ${r.source} → ${r.target}`);
    for (const c of r.steps) out.check(c);
    if (r.check.suggestedRules) {
      out.line("Uncovered columns, with a suggested rule for each (review before use):");
      for (const line of r.check.suggestedRules.trimEnd().split("\n")) out.line(`  ${line}`);
    }
    renderTables(r.tables, out);
    out.table([
      ["rows", r.rows.toLocaleString("en")],
      ["data", formatBytes(r.bytes)],
      ["fake values", r.fakeValues.toLocaleString("en")],
      ["peak memory", formatBytes(r.peakRssBytes)],
    ]);
    out.verdict(r.ok, r.ok ? `${r.target} holds the anonymized copy (${formatDuration(r.durationMs)})` : r.published ? "failed after publishing" : "nothing was published; an existing target is untouched");
  },
});

/** The dump's progress, shown as the stream filter's (the refresh's own events are rendered by refresh-staging). */
function dumpEvent(e: RefreshEvent, ctx: CommandContext): void {
  if (e.type === "refresh:progress" && e.unit === "rows") ctx.onEvent({ type: "anonymize:progress", rows: e.done, bytes: 0, rowsPerSec: e.perSec ?? 0, table: e.table ?? "" });
  else if (e.type === "refresh:warning" && e.message.startsWith("no secret given")) ctx.onEvent({ type: "anonymize:random-key" });
}

function renderTables(tables: { table: string; rows: number; bytes: number; action: string }[], out: HumanOutput): void {
  const top = [...tables].filter((t) => t.rows > 0 || t.action !== "copy").sort((a, b) => b.rows - a.rows).slice(0, 12);
  if (top.length === 0) return;
  const w = Math.max(...top.map((t) => t.table.length));
  out.line(`  ${"table".padEnd(w)}  ${"rows".padStart(12)}  ${"bytes".padStart(10)}  action`);
  for (const t of top) out.line(`  ${t.table.padEnd(w)}  ${t.rows.toLocaleString("en").padStart(12)}  ${formatBytes(t.bytes).padStart(10)}  ${t.action}`);
  if (tables.length > top.length) out.line(out.dim(`  … ${tables.length - top.length} more tables`));
}

import type { EventBase, Redactor, ReportBase } from "@odoo-deploy/core";
import type { LoadedSettings } from "./config/load.js";
import type { Settings } from "./config/schema.js";
import type { CliIO } from "./io.js";
import type { HumanOutput } from "./render/human.js";

/** How a flag's string value is turned into a typed value. */
export type FlagParser = "string" | "int" | "duration" | "list" | "boolean";

/** One flag of a command. */
export interface FlagSpec {
  /** Commander flag syntax: `--db-url <url>`, `--force`, `--addons-path <path...>`. */
  flags: string;
  description: string;
  /** Config key this flag overrides (`database.url`); flags without one are read from `ctx.flags`. */
  configKey?: string;
  parse?: FlagParser;
  /** Allowed values, checked by commander. */
  choices?: string[];
  defaultValue?: string | boolean | string[];
}

/** What a command's `run` receives. */
export interface CommandContext {
  /** Positional arguments, in declaration order. */
  args: string[];
  /** Every flag value by its camelCase name (`dbUrl`, `keepLast`), parsed per its `parse`. */
  flags: Record<string, unknown>;
  /** Settings of the selected environment after defaults < file < environment < flags. */
  settings: Settings;
  loaded: LoadedSettings;
  signal: AbortSignal;
  /** Receives progress events; renders them on stderr unless `--quiet` or `--json`. */
  onEvent: (event: EventBase & Record<string, unknown>) => void;
  redactor: Redactor;
  io: CliIO;
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  human: HumanOutput;
}

/** Something every command returns: a report in the CONVENTIONS.md shape. */
export type CommandReport = ReportBase & Record<string, unknown>;

/**
 * A CLI command: flags, how to run it (call one library function), how to render its report for people.
 * The report is printed as-is with `--json`; the exit code is 0 when `ok`, 1 when not.
 */
export interface CommandDefinition<R extends CommandReport = CommandReport> {
  /** Space-separated path: `plan`, `backup verify`. */
  path: string;
  summary: string;
  /** Commander argument syntax: `<path>`, `[dir]`. */
  args?: string[];
  flags?: FlagSpec[];
  /** True when the command writes data to stdout (then `--json` is refused). */
  stdoutIsData?: boolean;
  run(ctx: CommandContext): Promise<R>;
  /** Human rendering of the report on stderr. Default: a list of the report's checks or steps. */
  render?(report: R, out: HumanOutput, ctx: CommandContext): void;
  /** Human rendering of one progress event on stderr; return true when handled, else the default applies. */
  renderEvent?(event: EventBase & Record<string, unknown>, out: HumanOutput): boolean;
}

/**
 * Declares a command with its report type inferred.
 *
 * @example
 * export default defineCommand({ path: "status", summary: "…", run: (ctx) => inspectDatabase({ dbUrl: … }) });
 */
export function defineCommand<R extends CommandReport>(def: CommandDefinition<R>): CommandDefinition<R> {
  return def;
}

import type { Check, Redactor, ReportBase } from "@odoo-deploy/core";
import type { LoadedSettings } from "./config/load.js";
import type { Settings } from "./config/schema.js";
import type { CliIO } from "./io.js";
import type { CliEvent } from "./render/events.js";
import type { HumanOutput } from "./render/human.js";

/**
 * How a flag's string value is turned into a typed value: `list` splits on commas too (`--update a,b`),
 * `repeatable` keeps each value whole (`--canary "Doe, Jane"`).
 */
export type FlagParser = "string" | "int" | "duration" | "list" | "repeatable" | "boolean";

/** Dotted paths of the settings' leaves (`database.url`, `backups.retention.keepLast`): what a flag may override. */
type Leaves<T, P extends string = ""> = T extends readonly unknown[]
  ? P
  : T extends object
    ? { [K in keyof T & string]-?: Leaves<NonNullable<T[K]>, P extends "" ? K : `${P}.${K}`> }[keyof T & string]
    : P;
/** A config key a flag overrides, checked against the settings schema. */
export type ConfigKey = Leaves<Settings>;

/** One flag of a command. */
export interface FlagSpec {
  /** Commander flag syntax: `--db-url <url>`, `--force`, `--addons-path <path...>`. */
  readonly flags: string;
  readonly description: string;
  /** Config key this flag overrides (`database.url`); commands read it from `ctx.settings`, the rest from `ctx.flags`. */
  readonly configKey?: ConfigKey;
  readonly parse?: FlagParser;
  /** Allowed values, checked by commander; the flag's value type is their union. */
  readonly choices?: readonly string[];
  readonly defaultValue?: string | boolean | readonly string[];
}

/** A command's flags by the name its `ctx.flags` uses (`dbUrl`, `keepLast`): the flag's camelCase name. */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The value type of one flag after parsing: numbers for int and duration (ms), lists, booleans, choices. */
export type FlagValue<S extends FlagSpec> = S extends { parse: "int" | "duration" }
  ? number
  : S extends { parse: "list" | "repeatable" }
    ? string[]
    : S extends { parse: "boolean" }
      ? boolean
      : S extends { choices: readonly (infer C)[] }
        ? C
        : string;

/** Every flag value of a command, undefined when not given. */
export type FlagValues<F extends FlagSpecs> = { -readonly [K in keyof F]?: FlagValue<F[K]> };

/** What a command's `run` receives. */
export interface CommandContext<F extends FlagSpecs = FlagSpecs> {
  /** Positional arguments, in declaration order. */
  args: string[];
  /** The command's flag values, typed by its flag specs. */
  flags: FlagValues<F>;
  /** Settings of the selected environment after defaults < file < environment < flags. */
  settings: Settings;
  loaded: LoadedSettings;
  signal: AbortSignal;
  /** Receives progress events; renders them on stderr unless `--quiet` or `--json`. */
  onEvent: (event: CliEvent) => void;
  redactor: Redactor;
  io: CliIO;
  json: boolean;
  verbose: boolean;
  quiet: boolean;
  human: HumanOutput;
}

/** Something every command returns: a report in the CONVENTIONS.md shape. */
export type CommandReport = ReportBase & { checks?: Check[]; steps?: Check[] };

/**
 * A CLI command: flags, how to run it (call one library function), how to render its report for people.
 * The report is printed as-is with `--json`; the exit code is 0 when `ok`, 1 when not. Progress events are
 * rendered by the one renderer map of `render/events.ts`.
 */
export interface CommandDefinition<R extends CommandReport = CommandReport, F extends FlagSpecs = FlagSpecs> {
  /** Space-separated path: `plan`, `backup verify`. */
  path: string;
  summary: string;
  /** Commander argument syntax: `<path>`, `[dir]`. */
  args?: string[];
  flags?: F;
  /** True when the command writes data to stdout (then `--json` is refused). */
  stdoutIsData?: boolean;
  /**
   * False for a command that must not read odoo-deploy.yaml (`init` writes it): `settings` is then empty and
   * `loaded.file` / `loaded.environment` are what `--file` / `--env` name.
   */
  loadsSettings?: false;
  run(ctx: CommandContext<F>): Promise<R>;
  /** Human rendering of the report on stderr. Default: a list of the report's checks or steps. */
  render?(report: R, out: HumanOutput, ctx: CommandContext<F>): void;
}

/** Any command, as the registry holds them (methods are bivariant, so every command's own types fit). */
export type AnyCommand = CommandDefinition<CommandReport, FlagSpecs>;

/**
 * Declares a command with its report and flag types inferred: `ctx.flags.keepLast` is a number because its
 * spec says `parse: "int"`.
 *
 * @example
 * export default defineCommand({ path: "status", summary: "…", flags: { dbUrl: FLAGS.dbUrl }, run: (ctx) => inspectDatabase({ dbUrl: … }) });
 */
export function defineCommand<R extends CommandReport, const F extends FlagSpecs = Record<never, FlagSpec>>(def: CommandDefinition<R, F>): CommandDefinition<R, F> {
  return def;
}

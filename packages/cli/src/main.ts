import path from "node:path";
import { Command, CommanderError, Option } from "commander";
import { OdooDeployError, parseDuration, Redactor, UsageError } from "@odoo-deploy/core";
import { commands } from "./commands/index.js";
import type { AnyCommand, CommandContext, CommandReport, FlagSpec } from "./command.js";
import { DEFAULT_CONFIG_FILE, loadSettings, type LoadedSettings } from "./config/load.js";
import { EXIT, exitCodeForError, hintForError } from "./exit-codes.js";
import type { CliIO } from "./io.js";
import { HumanOutput } from "./render/human.js";
import { unknownCommand } from "./unknown-command.js";
import { renderEvent, type CliEvent } from "./render/events.js";
import { renderReport } from "./render/report.js";
import { VERSION } from "./version.js";

/** Options of {@link runCli}. */
export interface RunCliOptions {
  io: CliIO;
  /** Aborted on SIGINT by `bin.ts`. */
  signal?: AbortSignal;
  /** Commands to register (default: all of `commands/`). */
  commands?: AnyCommand[];
}

/**
 * Runs the odoo-deploy CLI with the given argv (without `node` and the script) and returns the exit code.
 * Never calls `process.exit`, so it can be embedded and tested in-process.
 *
 * @example const code = await runCli(["status", "--db-url", url, "--json"], { io: processIO() });
 */
export async function runCli(argv: string[], options: RunCliOptions): Promise<number> {
  const { io } = options;
  const redactor = new Redactor();
  // Secrets can arrive on the command line too (a URL with a password): know them before anything prints.
  for (const a of argv) {
    const value = a.startsWith("--") && a.includes("=") ? a.slice(a.indexOf("=") + 1) : a;
    if (value.includes("://")) redactor.addUrl(value);
  }
  const json = argv.includes("--json");
  let exitCode: number = EXIT.OK;

  const writeError = (error: unknown) => {
    const message = redactor.text(error instanceof Error ? error.message : String(error));
    if (json) {
      const code = error instanceof OdooDeployError ? error.code : error instanceof CommanderError ? "USAGE" : "INTERNAL";
      const details = error instanceof OdooDeployError ? redactor.value(error.details) : {};
      io.stdout.write(`${JSON.stringify({ error: { code, message, details } }, null, 2)}\n`);
    }
    if (!json || !(error instanceof OdooDeployError)) {
      io.stderr.write(`error: ${message}\n`);
      const hint = hintForError(error);
      if (hint) io.stderr.write(`hint: ${hint}\n`);
      if (!(error instanceof OdooDeployError) && error instanceof Error && error.stack) {
        io.stderr.write(`This is a bug in odoo-deploy; please report it with this trace:\n${redactor.text(error.stack)}\n`);
      }
    }
  };

  const program = new Command("odoo-deploy")
    .description("Ship Odoo safely: plan, back up, migrate, check, neutralize, roll back and anonymize.")
    .version(VERSION, "-V, --version")
    .option("--file <path>", "the odoo-deploy.yaml to use (default ./odoo-deploy.yaml if present)")
    .option("--env <name>", "the environment of the config file to use")
    .option("--json", "print the report as one JSON document on stdout")
    .option("--quiet", "print nothing but errors on stderr")
    .option("--verbose", "print every progress event")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      // Commander's own error messages; --json gets them as a JSON error document instead.
      writeErr: (s) => (json ? undefined : io.stderr.write(redactor.text(s))),
    });

  const parents = new Map<string, Command>([["", program]]);
  for (const def of options.commands ?? commands) {
    const parts = def.path.split(" ");
    let parent = program;
    for (let i = 0; i < parts.length - 1; i++) {
      const key = parts.slice(0, i + 1).join(" ");
      let p = parents.get(key);
      if (!p) {
        p = parent.command(parts[i]!).description(`${parts[i]} commands`);
        parents.set(key, p);
      }
      parent = p;
    }
    const key = parts.join(" ");
    const existing = parents.get(key);
    const cmd = existing ?? parent.command(parts[parts.length - 1]!);
    parents.set(key, cmd);
    cmd.description(def.summary);
    for (const a of def.args ?? []) cmd.argument(a);
    const longNames = Object.values(def.flags ?? {}).map((f) => /--[a-z0-9-]+/i.exec(f.flags)?.[0]);
    const twice = longNames.find((n, i) => longNames.indexOf(n) !== i);
    if (twice) throw new Error(`${def.path}: two flags are named ${twice}`);
    for (const f of Object.values(def.flags ?? {})) cmd.addOption(toOption(f));
    cmd.action(async (...actionArgs: unknown[]) => {
      const command = actionArgs[actionArgs.length - 1] as Command;
      const positional = command.processedArgs.map((a) => (a === undefined ? undefined : String(a))) as string[];
      exitCode = await execute(def, positional, command.optsWithGlobals(), { ...options, redactor });
    });
  }

  const unknown = unknownCommand(program, argv);
  if (unknown) {
    const message = `unknown command '${unknown.word}'${unknown.parent ? ` for '${unknown.parent}'` : ""} (commands: ${unknown.known.join(", ")})`;
    if (json) writeError(new UsageError(message));
    else io.stderr.write(`error: ${redactor.text(message)}\n(run with --help for usage)\n`);
    return EXIT.USAGE;
  }

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === "commander.helpDisplayed" || error.code === "commander.version") return EXIT.OK;
      if (error.code === "commander.help" && error.exitCode === 0) return EXIT.OK; // `odoo-deploy help backup`
      // Help shown because no command was given (`odoo-deploy`, `odoo-deploy config`): a usage error.
      if (error.code === "commander.help") {
        if (json) writeError(new UsageError("a command is required (see --help)"));
        return EXIT.USAGE;
      }
      if (json) writeError(new UsageError(error.message.replace(/^error: /, "")));
      return EXIT.USAGE;
    }
    writeError(error);
    return exitCodeForError(error);
  }

  async function execute(
    def: AnyCommand,
    args: string[],
    rawFlags: Record<string, unknown>,
    ctxOptions: RunCliOptions & { redactor: Redactor },
  ): Promise<number> {
    const quiet = Boolean(rawFlags.quiet);
    const verbose = Boolean(rawFlags.verbose);
    const human = new HumanOutput(io.stderr, io.env, (s) => redactor.text(s), !quiet);
    try {
      if (json && def.stdoutIsData) {
        throw new UsageError(`${def.path}: --json is not available here, stdout carries the data`);
      }
      const flags: Record<string, unknown> = {};
      const configFlags: Record<string, unknown> = {};
      for (const [name, spec] of Object.entries(def.flags ?? {})) {
        const value = parseFlag(spec, rawFlags[attributeName(spec.flags)]);
        flags[name] = value;
        if (spec.configKey && value !== undefined) configFlags[spec.configKey] = value;
      }
      const file = rawFlags.file as string | undefined;
      const envName = rawFlags.env as string | undefined;
      const loaded: LoadedSettings =
        def.loadsSettings === false
          ? { settings: {}, file: path.resolve(io.cwd, file ?? DEFAULT_CONFIG_FILE), ...(envName ? { environment: envName } : {}) }
          : loadSettings({ file, envName, cwd: io.cwd, env: io.env, flags: configFlags, redactor });
      const onEvent = (event: CliEvent) => {
        if (json || quiet) return;
        renderEvent(event, human, verbose);
      };
      const ctx: CommandContext = {
        args,
        flags: flags as CommandContext["flags"],
        settings: loaded.settings,
        loaded,
        signal: ctxOptions.signal ?? new AbortController().signal,
        onEvent,
        redactor,
        io,
        json,
        verbose,
        quiet,
        human,
      };
      const report: CommandReport = await def.run(ctx);
      human.clearProgress();
      if (json) io.stdout.write(`${JSON.stringify(redactor.value(report), null, 2)}\n`);
      else if (def.render) def.render(report, human, ctx);
      else renderReport(report, human);
      return report.ok ? EXIT.OK : EXIT.NOT_OK;
    } catch (error) {
      human.clearProgress();
      writeError(error);
      return exitCodeForError(error);
    }
  }
}

function attributeName(flags: string): string {
  const long = flags.match(/--([a-z0-9-]+)/i)?.[1] ?? "";
  const base = long.startsWith("no-") ? long.slice(3) : long;
  return base.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());
}

function toOption(spec: FlagSpec): Option {
  const o = new Option(spec.flags, spec.description);
  if (spec.choices) o.choices(spec.choices);
  if (spec.defaultValue !== undefined) o.default(spec.defaultValue);
  return o;
}

function parseFlag(spec: FlagSpec, value: unknown): unknown {
  if (value === undefined) return undefined;
  const flag = spec.flags.split(/[ ,]/).find((s) => s.startsWith("--")) ?? spec.flags;
  switch (spec.parse) {
    case "int": {
      const n = Number(value);
      if (!Number.isInteger(n)) throw new UsageError(`${flag}: expected a whole number, got "${String(value)}"`);
      return n;
    }
    case "duration":
      try {
        return parseDuration(String(value));
      } catch (e) {
        throw new UsageError(`${flag}: ${(e as Error).message}`);
      }
    case "repeatable":
      return Array.isArray(value) ? value.map(String) : [String(value)];
    case "list":
      return (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(",")).map((s) => s.trim()).filter(Boolean);
    case "boolean":
      return Boolean(value);
    default:
      return value;
  }
}

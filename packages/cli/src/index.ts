/**
 * @odoo-deploy/cli — the `odoo-deploy` command line, usable in-process.
 *
 * @example
 * import { runCli } from "@odoo-deploy/cli";
 * const code = await runCli(["status", "--json"], { io: { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() } });
 */
export { runCli, type RunCliOptions } from "./main.js";
export { EXIT, exitCodeForError } from "./exit-codes.js";
export { loadSettings, parseConfigFile, ENV_OVERRIDES, DEFAULT_CONFIG_FILE, type LoadedSettings, type LoadSettingsInput } from "./config/load.js";
export { configFileSchema, configJsonSchema, type ConfigFile, type ConfigFileInput, type Settings } from "./config/schema.js";
export {
  defineCommand,
  type AnyCommand,
  type CommandDefinition,
  type CommandContext,
  type CommandReport,
  type ConfigKey,
  type FlagParser,
  type FlagSpec,
  type FlagSpecs,
  type FlagValue,
  type FlagValues,
} from "./command.js";
export { FLAGS } from "./flags.js";
export { eventRenderers, renderEvent, type CliEvent, type EventRenderer, type EventRenderers } from "./render/events.js";
export { commands } from "./commands/index.js";
export type { CliIO } from "./io.js";

import type { CommandDefinition, CommandReport } from "../command.js";
import { configSchema, configShow } from "./config.js";
import migrate from "./migrate.js";
import plan from "./plan.js";
import status from "./status.js";

/**
 * Every command of the CLI, in help order. Add a command by writing `commands/<verb>.ts` and listing it here.
 */
export const commands: CommandDefinition<CommandReport>[] = [status, plan, migrate, configShow, configSchema] as CommandDefinition<CommandReport>[];

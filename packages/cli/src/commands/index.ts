import type { CommandDefinition, CommandReport } from "../command.js";
import { configSchema, configShow } from "./config.js";
import health from "./health.js";
import migrate from "./migrate.js";
import neutralize from "./neutralize.js";
import plan from "./plan.js";
import status from "./status.js";

/**
 * Every command of the CLI, in help order. Add a command by writing `commands/<verb>.ts` and listing it here.
 */
export const commands: CommandDefinition<CommandReport>[] = [status, plan, migrate, health, neutralize, configShow, configSchema] as CommandDefinition<CommandReport>[];

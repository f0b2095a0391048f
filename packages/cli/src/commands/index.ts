import type { AnyCommand } from "../command.js";
import anonymize from "./anonymize.js";
import anonymizeCheck from "./anonymize-check.js";
import anonymizeVerify from "./anonymize-verify.js";
import backup from "./backup.js";
import backupList from "./backup-list.js";
import backupPrune from "./backup-prune.js";
import backupVerify from "./backup-verify.js";
import deploy from "./deploy.js";
import deployList from "./deploy-list.js";
import refreshStaging from "./refresh-staging.js";
import rollback from "./rollback.js";
import { configSchema, configShow } from "./config.js";
import health from "./health.js";
import init from "./init.js";
import migrate from "./migrate.js";
import neutralize from "./neutralize.js";
import plan from "./plan.js";
import restore from "./restore.js";
import status from "./status.js";

/**
 * Every command of the CLI, in help order. Add a command by writing `commands/<verb>.ts` and listing it here.
 */
export const commands: AnyCommand[] = [init, status, plan, deploy, deployList, rollback, refreshStaging, migrate, health, neutralize, backup, backupVerify, backupList, backupPrune, restore, anonymize, anonymizeCheck, anonymizeVerify, configShow, configSchema];

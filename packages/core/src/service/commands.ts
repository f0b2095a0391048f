/**
 * The Odoo service as the user's own commands (`--stop-command`, `--start-command`), for anything the other
 * service kinds do not cover. The commands are the user's shell lines, run with `sh -c` through the Odoo
 * runner; what odoo-deploy passes them travels in the environment (`ODOO_DEPLOY_REVISION`,
 * `ODOO_DEPLOY_IMAGE`), never inside the command text.
 */
import type { CommandRunner } from "../runner/types.js";
import { runControl, targetEnv } from "./run.js";
import type { ServiceControl, ServiceState, ServiceTarget } from "./types.js";

/** Options of {@link createCommandsService}. */
export interface CommandsServiceOptions {
  /** Where the commands run (the Odoo host). */
  runner: CommandRunner;
  /** Stops every part of the service (HTTP workers and cron). */
  stopCommand: string;
  /** Starts it on `$ODOO_DEPLOY_REVISION` / `$ODOO_DEPLOY_IMAGE`. */
  startCommand: string;
  /** Optional: exits 0 when the service runs. */
  statusCommand?: string;
  timeoutMs?: number;
}

/**
 * @example
 * const service = createCommandsService({ runner: createLocalRunner(),
 *   stopCommand: "supervisorctl stop odoo", startCommand: "ln -sfn releases/$ODOO_DEPLOY_REVISION current && supervisorctl start odoo" });
 */
export function createCommandsService(o: CommandsServiceOptions): ServiceControl {
  const sh = (cmd: string) => ["sh", "-c", cmd];
  return {
    kind: "commands",
    description: `commands on ${o.runner.description}`,
    async status(signal): Promise<ServiceState> {
      if (!o.statusCommand) return { detail: "no status command: state unknown" };
      const r = await o.runner.exec(sh(o.statusCommand), { ...(signal ? { signal } : {}), timeout: o.timeoutMs ?? 60_000 });
      return { running: r.exitCode === 0, detail: `status command exited ${r.exitCode}` };
    },
    async stop(signal) {
      await runControl(o.runner, sh(o.stopCommand), "the stop command", { ...(signal ? { signal } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    },
    async start(target: ServiceTarget, signal) {
      await runControl(o.runner, sh(o.startCommand), "the start command", { env: targetEnv(target), ...(signal ? { signal } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
    },
    migrationRunner: () => Promise.resolve(undefined),
    describe(action, target) {
      const env = Object.entries(targetEnv(target)).map(([k, v]) => `${k}=${v}`);
      return [`${action === "stop" ? "" : env.join(" ") + (env.length ? " " : "")}sh -c ${JSON.stringify(action === "stop" ? o.stopCommand : o.startCommand)} (on ${o.runner.description})`];
    },
  };
}

/**
 * The Odoo service as a systemd unit, controlled with `systemctl` through a runner (usually SSH). Stopping a
 * unit stops its whole control group: HTTP workers, cron workers and the gevent process alike.
 */
import { EnvironmentError } from "../errors.js";
import { shellJoin } from "../runner/quote.js";
import type { CommandRunner } from "../runner/types.js";
import { runControl, targetEnv } from "./run.js";
import type { ServiceControl, ServiceState, ServiceTarget } from "./types.js";

/** Options of {@link createSystemdService}. */
export interface SystemdServiceOptions {
  /** Where systemctl runs (the Odoo host, e.g. an SSH runner). */
  runner: CommandRunner;
  /** The unit, e.g. `odoo.service`. */
  unit: string;
  /** Prefix systemctl with `sudo -n` (the SSH user may not manage units itself). */
  sudo?: boolean;
  /** systemctl to run (default `systemctl`). */
  systemctl?: string;
  timeoutMs?: number;
}

/**
 * Before a start, `systemctl set-environment` gives the manager `ODOO_DEPLOY_REVISION` and `ODOO_DEPLOY_IMAGE`,
 * so a unit can use them (`ExecStart=/opt/odoo/releases/${ODOO_DEPLOY_REVISION}/odoo-bin …`); a unit that
 * ignores them runs whatever code is in place.
 *
 * @example const service = createSystemdService({ runner: createSshRunner({ host, user }), unit: "odoo.service", sudo: true });
 */
export function createSystemdService(o: SystemdServiceOptions): ServiceControl {
  const ctl = (...args: string[]) => [...(o.sudo ? ["sudo", "-n"] : []), o.systemctl ?? "systemctl", ...args];
  const opts = (signal?: AbortSignal) => ({ ...(signal ? { signal } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
  const activeState = async (signal?: AbortSignal): Promise<string> => {
    // is-active exits non-zero for every state but active: its output is the answer.
    const r = await o.runner.exec(ctl("is-active", o.unit), { ...(signal ? { signal } : {}), timeout: 60_000 });
    if (r.exitCode === 127) throw new EnvironmentError(`systemctl not found on ${o.runner.description}`, { code: "COMMAND_NOT_FOUND" });
    return r.stdout.trim() || "unknown";
  };
  const setEnv = (target: ServiceTarget) => Object.entries(targetEnv(target)).map(([k, v]) => `${k}=${v}`);
  return {
    kind: "systemd",
    description: `systemd unit ${o.unit} on ${o.runner.description}`,
    async status(signal): Promise<ServiceState> {
      const state = await activeState(signal);
      return { running: state === "active" || state === "activating" || state === "reloading", detail: `unit ${o.unit} ${state}` };
    },
    async stop(signal) {
      await runControl(o.runner, ctl("stop", o.unit), `stopping ${o.unit}`, opts(signal));
      const state = await activeState(signal);
      if (state === "active" || state === "deactivating") {
        throw new EnvironmentError(`systemd: ${o.unit} is still ${state} after stop`, { code: "SERVICE_STILL_RUNNING" });
      }
    },
    async start(target, signal) {
      const env = setEnv(target);
      if (env.length) await runControl(o.runner, ctl("set-environment", ...env), "systemctl set-environment", opts(signal));
      await runControl(o.runner, ctl("start", o.unit), `starting ${o.unit}`, opts(signal));
    },
    migrationRunner: () => Promise.resolve(undefined),
    describe(action, target) {
      if (action === "stop") return [shellJoin(ctl("stop", o.unit))];
      const env = setEnv(target);
      return [...(env.length ? [shellJoin(ctl("set-environment", ...env))] : []), shellJoin(ctl("start", o.unit))];
    },
  };
}

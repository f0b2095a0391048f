import { createServiceControl, parseDuration, UsageError, type CommandRunner, type ServiceControl } from "@odoo-deploy/core";
import type { Settings } from "./config/schema.js";
import { odooHostRunner } from "./runners.js";

/**
 * The service control `deploy.service` (or `staging.service`, for the staging refresh) describes (flags
 * `--container`, `--compose-service`, `--systemd-unit`, `--stop-command`/`--start-command` land there): a Docker
 * container on odoo's engine, or a Compose service, a systemd unit or commands through the Odoo host's runner.
 * The only place where configuration becomes a service.
 *
 * @example const { service, close } = serviceFromSettings(ctx.settings, "deploy");
 */
export function serviceFromSettings(s: Settings, command: string, section: "deploy" | "staging" = "deploy"): { service: ServiceControl; close: () => Promise<void> } {
  const sv = (section === "staging" ? s.staging?.service : s.deploy?.service) ?? {};
  const kinds = [sv.container && "--container", sv.composeService && "--compose-service", sv.systemdUnit && "--systemd-unit", (sv.stopCommand || sv.startCommand) && "--stop-command/--start-command"].filter(Boolean);
  if (kinds.length !== 1) {
    throw new UsageError(
      kinds.length === 0
        ? `${command} needs the Odoo service: --container NAME, --compose-service NAME, --systemd-unit NAME, or --stop-command CMD --start-command CMD (or ${section}.service in odoo-deploy.yaml)`
        : `${command}: give one way to control the service, not ${kinds.join(" and ")}`,
      { code: "SERVICE_SPEC" },
    );
  }
  let runner: CommandRunner | undefined;
  const host = () => (runner ??= odooHostRunner(s));
  const close = async () => void (await runner?.close());
  if (sv.container) {
    const docker = s.odoo?.docker?.host;
    return {
      service: createServiceControl({
        kind: "docker",
        container: sv.container,
        ...(docker ? { docker } : {}),
        ...(sv.stopTimeout !== undefined ? { stopTimeoutSeconds: Math.ceil(parseDuration(String(sv.stopTimeout)) / 1000) } : {}),
        ...(sv.pull ? { pull: sv.pull } : {}),
      }),
      close,
    };
  }
  if (sv.composeService) {
    return {
      service: createServiceControl({
        kind: "compose",
        runner: host(),
        service: sv.composeService,
        ...(sv.composeProject ? { project: sv.composeProject } : {}),
        ...(sv.composeFiles ? { files: sv.composeFiles } : {}),
        ...(sv.composeCommand ? { command: sv.composeCommand } : {}),
        ...(sv.imageVariable ? { imageVariable: sv.imageVariable } : {}),
      }),
      close,
    };
  }
  if (sv.systemdUnit) {
    return { service: createServiceControl({ kind: "systemd", runner: host(), unit: sv.systemdUnit, ...(sv.sudo ? { sudo: true } : {}), ...(sv.systemctl ? { systemctl: sv.systemctl } : {}) }), close };
  }
  if (!sv.stopCommand || !sv.startCommand) throw new UsageError(`${command}: --stop-command and --start-command go together`, { code: "SERVICE_SPEC" });
  return {
    service: createServiceControl({ kind: "commands", runner: host(), stopCommand: sv.stopCommand, startCommand: sv.startCommand, ...(sv.statusCommand ? { statusCommand: sv.statusCommand } : {}) }),
    close,
  };
}

import type { DockerConnection } from "../runner/docker-client.js";
import type { CommandRunner } from "../runner/types.js";
import { createCommandsService } from "./commands.js";
import { createComposeService } from "./compose.js";
import { createDockerService } from "./docker.js";
import { createSystemdService } from "./systemd.js";
import type { ServiceControl } from "./types.js";

/** A service described as plain data (e.g. from configuration), for {@link createServiceControl}. */
export type ServiceSpec =
  | { kind: "docker"; container: string; docker?: DockerConnection; stopTimeoutSeconds?: number; pull?: "missing" | "always" | "never"; oneOffLabels?: Record<string, string> }
  | { kind: "compose"; runner: CommandRunner; service: string; project?: string; files?: string[]; command?: string[]; imageVariable?: string; timeoutMs?: number }
  | { kind: "systemd"; runner: CommandRunner; unit: string; sudo?: boolean; systemctl?: string; timeoutMs?: number }
  | { kind: "commands"; runner: CommandRunner; stopCommand: string; startCommand: string; statusCommand?: string; timeoutMs?: number };

/**
 * The service control a spec describes.
 *
 * @example
 * const service = createServiceControl({ kind: "systemd", runner: sshRunner, unit: "odoo.service", sudo: true });
 */
export function createServiceControl(spec: ServiceSpec): ServiceControl {
  switch (spec.kind) {
    case "docker": {
      const { kind: _k, ...o } = spec;
      return createDockerService(o);
    }
    case "compose": {
      const { kind: _k, ...o } = spec;
      return createComposeService(o);
    }
    case "systemd": {
      const { kind: _k, ...o } = spec;
      return createSystemdService(o);
    }
    case "commands": {
      const { kind: _k, ...o } = spec;
      return createCommandsService(o);
    }
  }
}

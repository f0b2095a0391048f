import { createDockerRunner, type DockerRunnerOptions } from "./docker.js";
import { createLocalRunner, type LocalRunnerOptions } from "./local.js";
import { createSshRunner, type SshRunnerOptions } from "./ssh.js";
import type { CommandRunner } from "./types.js";

/** Where commands run, as plain data (e.g. from configuration): the runner kind and its options. */
export type RunnerSpec =
  | ({ kind: "local" } & LocalRunnerOptions)
  | ({ kind: "docker" } & DockerRunnerOptions)
  | ({ kind: "ssh" } & SshRunnerOptions);

/**
 * Creates the runner a spec describes, so callers holding configuration need no switch of their own.
 *
 * @example
 * const runner = createRunner({ kind: "docker", compose: { project: "odoo", service: "db" } });
 * const runner2 = createRunner({ kind: "ssh", host: "db.example.com", user: "deploy", privateKeyPath: "~/.ssh/id_ed25519" });
 */
export function createRunner(spec: RunnerSpec): CommandRunner {
  switch (spec.kind) {
    case "local": {
      const { kind: _k, ...o } = spec;
      return createLocalRunner(o);
    }
    case "docker": {
      const { kind: _k, ...o } = spec;
      return createDockerRunner(o);
    }
    case "ssh": {
      const { kind: _k, ...o } = spec;
      return createSshRunner(o);
    }
  }
}

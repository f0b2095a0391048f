import { createRunner, UsageError, type CommandRunner, type RunnerSpec } from "@odoo-deploy/core";
import type { Settings } from "./config/schema.js";

type RunnerSection = Pick<NonNullable<Settings["odoo"]>, "runner" | "docker" | "ssh">;

/**
 * The runner spec a config section (`database` or `odoo`) describes: local, Docker (exec in
 * `docker.container` or in a Compose service's container, or — when `image` is given — one-off containers of
 * that image) or SSH. The only place where configuration becomes a runner.
 *
 * @example createRunner(runnerSpecFor("odoo", settings.odoo ?? {}, { image: settings.odoo?.image }))
 */
export function runnerSpecFor(key: "database" | "odoo", section: RunnerSection, options: { image?: string } = {}): RunnerSpec {
  switch (section.runner ?? "local") {
    case "local":
      return { kind: "local" };
    case "docker": {
      const d = section.docker ?? {};
      const connection = d.host ? { docker: d.host } : {};
      const user = d.user ? { user: d.user } : {};
      if (options.image) {
        return {
          kind: "docker",
          image: options.image,
          ...connection,
          ...user,
          ...(d.network ? { network: d.network } : {}),
          ...(d.envFile ? { envFile: d.envFile } : {}),
        };
      }
      if (d.container) return { kind: "docker", container: d.container, ...connection, ...user };
      if (d.composeProject && d.composeService) {
        return { kind: "docker", compose: { project: d.composeProject, service: d.composeService }, ...connection, ...user };
      }
      throw new UsageError(
        `${key}.runner docker needs ${key}.docker.container, or ${key}.docker.composeProject and composeService${key === "odoo" ? ", or odoo.image" : ""}`,
        { code: "MISSING_DOCKER_TARGET" },
      );
    }
    case "ssh": {
      const h = section.ssh;
      if (!h) throw new UsageError(`${key}.runner ssh needs ${key}.ssh (host, user, key)`, { code: "MISSING_SSH_SETTINGS" });
      return {
        kind: "ssh",
        host: h.host,
        user: h.user,
        ...(h.port ? { port: h.port } : {}),
        ...(h.privateKeyPath ? { privateKeyPath: h.privateKeyPath } : {}),
        ...(h.passphrase ? { passphrase: h.passphrase } : {}),
        ...(h.password ? { password: h.password } : {}),
        ...(h.agent ? { agent: h.agent } : {}),
        ...(h.knownHostsPath ? { knownHostsPath: h.knownHostsPath } : {}),
        ...(h.hostKeyFingerprint ? { hostKeyFingerprint: h.hostKeyFingerprint } : {}),
        ...(h.allowUnknownHostKey ? { hostKeyPolicy: "accept-unknown" as const } : {}),
      };
    }
  }
}

/** Where PostgreSQL's tools (pg_dump, pg_restore, psql) run: `database.runner`. @example databaseRunner(ctx.settings) */
export function databaseRunner(s: Settings): CommandRunner {
  return createRunner(runnerSpecFor("database", s.database ?? {}));
}

/** The Odoo host (`odoo.runner`): where the filestore lives and a running Odoo is. @example odooHostRunner(ctx.settings) */
export function odooHostRunner(s: Settings): CommandRunner {
  return createRunner(runnerSpecFor("odoo", s.odoo ?? {}));
}

/**
 * Where odoo-bin runs for updates and neutralize: with Docker and `odoo.image`, a one-off container of that
 * (new) image, so the database is migrated before the service is switched; otherwise the Odoo host.
 *
 * @example odooBinRunner(ctx.settings)
 */
export function odooBinRunner(s: Settings): CommandRunner {
  const o = s.odoo ?? {};
  return createRunner(runnerSpecFor("odoo", o, o.runner === "docker" && o.image ? { image: o.image } : {}));
}

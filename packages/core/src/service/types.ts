/**
 * Service control: stopping and starting the Odoo service a deploy or a staging refresh replaces the database
 * under, whatever runs it (a Docker container, a Compose service, a systemd unit, or the user's own commands).
 */
import type { CommandRunner } from "../runner/types.js";

/** What the service should run when started: an image (Docker) and the code revision (recorded, passed on). */
export interface ServiceTarget {
  /** Image reference or id; a Docker service is recreated on it when it runs another one. */
  image?: string;
  /** The exact image id `image` must resolve to (going back to a tag that may have moved since). */
  imageId?: string;
  /** Git revision of the code; given to commands and systemd units as `ODOO_DEPLOY_REVISION`. */
  revision?: string;
}

/** What a service runs now. */
export interface ServiceState {
  /** Whether it runs; undefined when the implementation cannot tell (plain commands). */
  running?: boolean;
  /** Image reference the service was created from (Docker). */
  image?: string;
  /** Image id (`sha256:…`), exact even when the reference is a moving tag (Docker). */
  imageId?: string;
  /** One human line: `container odoo-web-1 running odoo:17.0 (sha256:1a2b…)`. */
  detail: string;
}

/** The kinds of {@link ServiceControl}. */
export type ServiceKind = "docker" | "compose" | "systemd" | "commands";

/**
 * One way to stop and start the Odoo service. `stop` stops all of it (HTTP workers, cron), so nothing writes
 * to the database while it is migrated or replaced; `start` runs the given image/revision.
 *
 * @example
 * const service = createServiceControl({ kind: "docker", container: "odoo" });
 * const before = await service.status();
 * await service.stop();
 * await service.start({ image: before.imageId });
 */
export interface ServiceControl {
  readonly kind: ServiceKind;
  /** Human description without secrets: `docker container odoo`, `systemd unit odoo.service on ssh:deploy@host:22`. */
  readonly description: string;
  status(signal?: AbortSignal): Promise<ServiceState>;
  stop(signal?: AbortSignal): Promise<void>;
  start(target: ServiceTarget, signal?: AbortSignal): Promise<void>;
  /**
   * Where `odoo-bin -u … --stop-after-init` runs with the code of `target` before the service is started on it:
   * a one-off container of the new image with the service's configuration (Docker, Compose), or undefined when
   * odoo-bin runs on the Odoo host as configured (systemd, commands).
   */
  migrationRunner(target: ServiceTarget, options?: { labels?: Record<string, string> }): Promise<CommandRunner | undefined>;
  /** Kills one-off migration containers a killed deploy left running (found by their labels). */
  stopMigrations?(labels: Record<string, string>, signal?: AbortSignal): Promise<number>;
  /** The commands (or engine calls) an action would run, for `--dry-run`; no secrets. */
  describe(action: "stop" | "start", target: ServiceTarget): string[];
  /** Makes the target runnable before anything stops (pulls a missing image); returns the exact image id. */
  prepare?(target: ServiceTarget, signal?: AbortSignal): Promise<string | undefined>;
  /**
   * After a successful start on a new image: removes what was kept to go back (the previous container). Called
   * once the deploy is final; a no-op for services that keep nothing.
   */
  commit?(signal?: AbortSignal): Promise<void>;
  /** Releases connections (an SSH runner the control owns). */
  close?(): Promise<void>;
}

/**
 * The Odoo service as a Docker Compose service, controlled with `docker compose` through a runner (the Odoo
 * host, locally or over SSH). The compose file names the image through a variable (default
 * `ODOO_DEPLOY_IMAGE`: `image: ${ODOO_DEPLOY_IMAGE:-ghcr.io/acme/odoo:stable}`), which `up` and the one-off
 * migration containers (`docker compose run --rm`) get in their environment.
 */
import { shellJoin } from "../runner/quote.js";
import type { CommandRunner, ExecOptions, SpawnOptions } from "../runner/types.js";
import { runControl, targetEnv } from "./run.js";
import type { ServiceControl, ServiceState, ServiceTarget } from "./types.js";

/** Options of {@link createComposeService}. */
export interface ComposeServiceOptions {
  /** Where `docker compose` runs. */
  runner: CommandRunner;
  /** The service name in the compose file. */
  service: string;
  /** Compose project name (`-p`). */
  project?: string;
  /** Compose files (`-f`), as the runner's side sees them. */
  files?: string[];
  /** The compose command (default `docker compose`; `["docker-compose"]` for Compose v1). */
  command?: string[];
  /** Variable the compose file takes the image from (default `ODOO_DEPLOY_IMAGE`). */
  imageVariable?: string;
  timeoutMs?: number;
}

/**
 * @example
 * const service = createComposeService({ runner: createSshRunner({ host, user }), project: "odoo",
 *   files: ["/opt/odoo/docker-compose.prod.yml"], service: "odoo" });
 */
export function createComposeService(o: ComposeServiceOptions): ServiceControl {
  const base = [...(o.command ?? ["docker", "compose"]), ...(o.files ?? []).flatMap((f) => ["-f", f]), ...(o.project ? ["-p", o.project] : [])];
  const imageVar = o.imageVariable ?? "ODOO_DEPLOY_IMAGE";
  const env = (target: ServiceTarget) => ({ ...targetEnv(target), ...(target.image ? { [imageVar]: target.image } : {}) });
  const opts = (signal?: AbortSignal, target: ServiceTarget = {}) => ({ env: env(target), ...(signal ? { signal } : {}), ...(o.timeoutMs ? { timeoutMs: o.timeoutMs } : {}) });
  const containers = async (signal?: AbortSignal): Promise<string[]> =>
    (await runControl(o.runner, [...base, "ps", "-q", o.service], `listing the containers of ${o.service}`, opts(signal))).stdout.split("\n").map((s) => s.trim()).filter(Boolean);
  return {
    kind: "compose",
    description: `compose service ${o.project ? `${o.project}/` : ""}${o.service} on ${o.runner.description}`,
    async status(signal): Promise<ServiceState> {
      const ids = await containers(signal);
      if (ids.length === 0) return { running: false, detail: `no container of ${o.service}` };
      const r = await runControl(o.runner, ["docker", "inspect", "--format", "{{.State.Running}} {{.Config.Image}} {{.Image}}", ids[0]!], `inspecting ${ids[0]}`, opts(signal));
      const [running, image, imageId] = r.stdout.trim().split(" ");
      return { running: running === "true", ...(image ? { image } : {}), ...(imageId ? { imageId } : {}), detail: `service ${o.service}: ${ids.length} container(s), ${running === "true" ? "running" : "stopped"} ${image ?? ""}`.trim() };
    },
    async stop(signal) {
      await runControl(o.runner, [...base, "stop", o.service], `stopping ${o.service}`, opts(signal));
    },
    async start(target, signal) {
      await runControl(o.runner, [...base, "up", "-d", "--no-deps", o.service], `starting ${o.service}`, opts(signal, target));
    },
    migrationRunner(target, options = {}) {
      return Promise.resolve(composeRunRunner(o.runner, base, o.service, env(target), options.labels ?? {}));
    },
    async stopMigrations(labels, signal) {
      const filters = Object.entries(labels).flatMap(([k, v]) => ["--filter", `label=${k}=${v}`]);
      const ids = (await runControl(o.runner, ["docker", "ps", "-aq", ...filters], "listing migration containers", opts(signal))).stdout.split("\n").map((s) => s.trim()).filter(Boolean);
      if (ids.length) await runControl(o.runner, ["docker", "rm", "-f", ...ids], "removing migration containers", opts(signal));
      return ids.length;
    },
    describe(action, target) {
      const vars = Object.entries(action === "start" ? env(target) : {}).map(([k, v]) => `${k}=${v}`);
      const argv = action === "stop" ? [...base, "stop", o.service] : [...base, "up", "-d", "--no-deps", o.service];
      return [`${vars.length ? `${vars.join(" ")} ` : ""}${shellJoin(argv)} (on ${o.runner.description})`];
    },
  };
}

/**
 * A runner whose commands run in one-off containers of the service (`docker compose run --rm --no-deps -T`),
 * with the target image. Variables for the command are named with `-e NAME` only: their values reach compose
 * through its own environment, never its command line.
 */
function composeRunRunner(runner: CommandRunner, base: string[], service: string, composeEnv: Record<string, string>, labels: Record<string, string>): CommandRunner {
  const wrap = (argv: readonly string[], env: Record<string, string> | undefined) => [
    ...base,
    "run",
    "--rm",
    "--no-deps",
    "-T",
    ...Object.entries(labels).flatMap(([k, v]) => ["-l", `${k}=${v}`]),
    ...Object.keys(env ?? {}).flatMap((k) => ["-e", k]),
    service,
    ...argv,
  ];
  return {
    kind: runner.kind,
    description: `compose run ${service} on ${runner.description}`,
    exec: (argv, options: ExecOptions = {}) => runner.exec(wrap(argv, options.env), { ...options, env: { ...composeEnv, ...options.env } }),
    spawn: (argv, options: SpawnOptions = {}) => runner.spawn(wrap(argv, options.env), { ...options, env: { ...composeEnv, ...options.env } }),
    close: () => Promise.resolve(),
  };
}

/**
 * A Docker container as the Odoo service. Starting it on another image recreates it with its configuration
 * kept (environment, mounts, networks, labels, restart policy, ports…): what differs from the old image's
 * defaults is carried over, the rest comes from the new image. The previous container is kept, stopped and
 * renamed (`<name>.odoo-deploy-previous.<id>`), until the deploy commits, so going back starts exactly the
 * container that ran before — also from another process, after a crash.
 */
import type Docker from "dockerode";
import { isDeepStrictEqual } from "node:util";
import { EnvironmentError, throwIfAborted } from "../errors.js";
import { dockerClient, type DockerConnection } from "../runner/docker-client.js";
import { createDockerRunner, type DockerMount } from "../runner/docker.js";
import type { CommandRunner } from "../runner/types.js";
import type { ServiceControl, ServiceState, ServiceTarget } from "./types.js";

/** Options of {@link createDockerService}. */
export interface DockerServiceOptions {
  /** The Odoo container's name (or id). */
  container: string;
  docker?: DockerConnection;
  /** Seconds between SIGTERM and SIGKILL when stopping (default 30: workers finish their requests). */
  stopTimeoutSeconds?: number;
  /** When to pull the target image before anything stops (default `missing`). */
  pull?: "missing" | "always" | "never";
  /** Labels added to the one-off migration containers (e.g. the deploy id, so a killed run's are found). */
  oneOffLabels?: Record<string, string>;
}

type Inspect = Docker.ContainerInspectInfo;

/**
 * The Odoo service as one Docker container.
 *
 * @example
 * const service = createDockerService({ container: "odoo" });
 * await service.stop();
 * await service.start({ image: "ghcr.io/acme/odoo:sha-3f2c1e0" });
 * await service.commit(); // removes the previous container
 */
export function createDockerService(options: DockerServiceOptions): DockerService {
  return new DockerService(options);
}

/** Containers kept to go back to are named `<name>.odoo-deploy-previous.<old id>`: recognisably ours. */
const PREVIOUS = ".odoo-deploy-previous.";

/** See {@link createDockerService}. */
export class DockerService implements ServiceControl {
  readonly kind = "docker" as const;
  readonly description: string;
  private readonly docker: Docker;

  constructor(private readonly options: DockerServiceOptions) {
    this.docker = dockerClient(options.docker);
    this.description = `docker container ${options.container}`;
  }

  async status(signal?: AbortSignal): Promise<ServiceState> {
    const i = await this.inspect(signal);
    return {
      running: i.State.Running,
      image: i.Config.Image,
      imageId: i.Image,
      detail: `container ${i.Name.replace(/^\//, "")} ${i.State.Running ? "running" : i.State.Status} ${i.Config.Image} (${i.Image.slice(0, 19)})`,
    };
  }

  async prepare(target: ServiceTarget, signal?: AbortSignal): Promise<string | undefined> {
    if (!target.image) return undefined;
    const present = await this.imageId(target.image);
    const policy = this.options.pull ?? "missing";
    if (present && policy !== "always") return present;
    if (policy === "never") throw new EnvironmentError(`docker: image ${target.image} is not present and pulling is off`, { code: "DOCKER_IMAGE_MISSING" });
    await this.pull(target.image, signal);
    const id = await this.imageId(target.image);
    if (!id) throw new EnvironmentError(`docker: image ${target.image} is still missing after the pull`, { code: "DOCKER_IMAGE_MISSING" });
    return id;
  }

  async stop(signal?: AbortSignal): Promise<void> {
    const c = this.docker.getContainer(this.options.container);
    try {
      await c.stop({ t: this.options.stopTimeoutSeconds ?? 30, abortSignal: signal });
    } catch (e) {
      const code = (e as { statusCode?: number }).statusCode;
      // 304: already stopped; 404: gone (a crash mid-recreate) — nothing runs under the name either way.
      if (code === 404 && (await this.previousContainers()).length > 0) return;
      if (code !== 304) throw engineError(e, `stopping ${this.options.container}`);
    }
    const after = await this.inspect(signal);
    if (after.State.Running) throw new EnvironmentError(`docker: ${this.options.container} still runs after stop`, { code: "SERVICE_STILL_RUNNING" });
  }

  /**
   * Starts the container on `target.image`: as it is when it already runs that image; the kept previous
   * container put back when that one ran it (going back); else recreated on it with its configuration.
   */
  async start(target: ServiceTarget, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const current = await this.inspect(signal).catch((e: unknown) => {
      if ((e as { code?: string }).code === "DOCKER_NOT_FOUND") return undefined;
      throw e;
    });
    const resolved = target.image ? await this.imageId(target.image) : undefined;
    const wanted = target.imageId ?? resolved ?? current?.Image;
    if (!wanted) throw new EnvironmentError(`docker: image ${target.image} is not present`, { code: "DOCKER_IMAGE_MISSING" });
    if (!current || wanted !== current.Image) {
      // The reference when it still names the image wanted (the container then shows the tag), else the id.
      const ref = target.image && resolved === wanted ? target.image : wanted;
      const previous = await this.previousContainers();
      const same = previous.find((p) => p.imageId === wanted);
      if (same) await this.putBack(same, current);
      else if (current) await this.recreate(current, ref);
      else if (previous[0]) await this.createFrom(await this.inspectId(previous[0].id), ref);
      else throw new EnvironmentError(`docker: container ${this.options.container} not found`, { code: "DOCKER_CONTAINER_NOT_FOUND" });
    }
    try {
      await this.docker.getContainer(this.options.container).start({ abortSignal: signal });
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 304) throw engineError(e, `starting ${this.options.container}`);
    }
  }

  async migrationRunner(target: ServiceTarget, options: { labels?: Record<string, string> } = {}): Promise<CommandRunner> {
    const current = await this.inspect();
    const image = target.image ?? current.Image;
    const own = await ownSettings(this.docker, current);
    const mode = current.HostConfig.NetworkMode;
    return createDockerRunner({
      image,
      docker: this.docker,
      ...(own.env ? { env: own.env } : {}),
      ...(current.Config.User ? { user: current.Config.User } : {}),
      ...(mode && mode !== "default" ? { network: mode } : {}),
      mounts: (current.Mounts ?? []).map(toMount),
      labels: { "odoo-deploy.migration-for": current.Name.replace(/^\//, ""), ...options.labels },
    });
  }

  async stopMigrations(labels: Record<string, string>, signal?: AbortSignal): Promise<number> {
    const list = await this.docker.listContainers({ all: true, filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) }, abortSignal: signal });
    for (const c of list) await this.docker.getContainer(c.Id).remove({ force: true }).catch(() => {});
    return list.length;
  }

  describe(action: "stop" | "start", target: ServiceTarget): string[] {
    const name = this.options.container;
    if (action === "stop") return [`docker stop --time ${this.options.stopTimeoutSeconds ?? 30} ${name}`];
    if (!target.image) return [`docker start ${name}`];
    return [
      `docker rename ${name} ${name}${PREVIOUS}<id> (kept until the deploy is final), when ${name} runs another image`,
      `docker create --name ${name} <the configuration of ${name}> ${target.image}`,
      `docker start ${name}`,
    ];
  }

  async commit(signal?: AbortSignal): Promise<void> {
    for (const prev of await this.previousContainers(signal)) {
      await this.docker.getContainer(prev.id).remove({ force: true, v: false }).catch((e: unknown) => {
        if ((e as { statusCode?: number }).statusCode !== 404) throw engineError(e, `removing the previous container ${prev.name}`);
      });
    }
  }

  /** The containers kept to go back to (renamed by a recreate not yet committed). */
  async previousContainers(signal?: AbortSignal): Promise<{ id: string; name: string; imageId: string }[]> {
    const prefix = `/${this.options.container}${PREVIOUS}`;
    const list = await this.docker.listContainers({ all: true, filters: { name: [`${this.options.container}${PREVIOUS}`] }, abortSignal: signal }).catch((e: unknown) => {
      throw engineError(e, "listing containers");
    });
    return list
      .filter((c) => c.Names.some((n) => n.startsWith(prefix)))
      .map((c) => ({ id: c.Id, name: c.Names.find((n) => n.startsWith(prefix))!.slice(1), imageId: c.ImageID }));
  }

  private async recreate(current: Inspect, image: string): Promise<void> {
    const name = current.Name.replace(/^\//, "");
    const keptName = `${name}${PREVIOUS}${current.Id.slice(0, 12)}`;
    await this.docker.getContainer(current.Id).rename({ name: keptName }).catch((e: unknown) => {
      throw engineError(e, `renaming ${name} aside`);
    });
    try {
      await this.createFrom(current, image);
    } catch (e) {
      // Put the old container back under its name: the service is as it was.
      await this.docker.getContainer(current.Id).rename({ name }).catch(() => {});
      throw e;
    }
  }

  /** Creates the service's container like `template` (its settings) on `image`, under the service's name. */
  private async createFrom(template: Inspect, image: string): Promise<void> {
    const name = this.options.container;
    const spec = await recreateSpec(this.docker, template, image);
    let created: Docker.Container;
    try {
      created = await this.docker.createContainer({ ...spec.config, name });
    } catch (e) {
      throw engineError(e, `creating ${name} on ${image}`);
    }
    for (const [net, endpoint] of spec.laterNetworks) {
      await this.docker.getNetwork(net).connect({ Container: created.id, EndpointConfig: endpoint });
    }
  }

  private async inspectId(id: string): Promise<Inspect> {
    try {
      return await this.docker.getContainer(id).inspect();
    } catch (e) {
      throw engineError(e, `inspecting ${id}`);
    }
  }

  /** Removes the current container (if any) and puts a kept previous one back under the service's name. */
  private async putBack(previous: { id: string; name: string }, current: Inspect | undefined): Promise<void> {
    const name = this.options.container;
    if (current) {
      await this.docker.getContainer(current.Id).remove({ force: true }).catch((e: unknown) => {
        throw engineError(e, `removing ${name}`);
      });
    }
    await this.docker.getContainer(previous.id).rename({ name }).catch((e: unknown) => {
      throw engineError(e, `renaming ${previous.name} back to ${name}`);
    });
  }

  private async inspect(signal?: AbortSignal): Promise<Inspect> {
    try {
      return await this.docker.getContainer(this.options.container).inspect({ abortSignal: signal });
    } catch (e) {
      throw engineError(e, `inspecting ${this.options.container}`);
    }
  }

  private async imageId(ref: string): Promise<string | undefined> {
    try {
      return (await this.docker.getImage(ref).inspect()).Id;
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode === 404) return undefined;
      throw engineError(e, `inspecting image ${ref}`);
    }
  }

  private async pull(ref: string, signal?: AbortSignal): Promise<void> {
    let stream: NodeJS.ReadableStream;
    try {
      stream = (await this.docker.pull(ref, { abortSignal: signal })) as NodeJS.ReadableStream;
    } catch (e) {
      throw engineError(e, `pulling ${ref}`);
    }
    await new Promise<void>((resolve, reject) =>
      this.docker.modem.followProgress(stream, (err: Error | null, output: { error?: string }[] | undefined) => {
        const failed = err?.message ?? output?.find((o) => o.error)?.error;
        if (failed) reject(new EnvironmentError(`docker: pulling ${ref} failed: ${failed}`, { code: "DOCKER_PULL_FAILED" }));
        else resolve();
      }),
    );
  }
}

/** The container's own settings: what differs from its image's defaults (those come from the new image). */
async function ownSettings(docker: Docker, c: Inspect): Promise<{ env?: Record<string, string>; config: Partial<Docker.ContainerCreateOptions> }> {
  const image = await docker.getImage(c.Image).inspect().catch(() => undefined);
  const defaults = image?.Config;
  const imageEnv = new Set(defaults?.Env ?? []);
  const env = (c.Config.Env ?? []).filter((e) => !imageEnv.has(e));
  const imageLabels = (defaults?.Labels ?? {}) as Record<string, string>;
  const labels = Object.fromEntries(Object.entries(c.Config.Labels ?? {}).filter(([k, v]) => imageLabels[k] !== v));
  const config: Partial<Docker.ContainerCreateOptions> = { Env: env, Labels: labels };
  const own = <K extends keyof Docker.ContainerCreateOptions>(key: K, value: Docker.ContainerCreateOptions[K], fromImage: unknown) => {
    if (value !== undefined && value !== null && value !== "" && !isDeepStrictEqual(value, fromImage)) config[key] = value;
  };
  own("Cmd", c.Config.Cmd, defaults?.Cmd);
  own("Entrypoint", c.Config.Entrypoint as string[] | undefined, defaults?.Entrypoint);
  own("WorkingDir", c.Config.WorkingDir, defaults?.WorkingDir);
  own("User", c.Config.User, defaults?.User);
  own("ExposedPorts", c.Config.ExposedPorts, defaults?.ExposedPorts);
  own("Volumes", c.Config.Volumes, defaults?.Volumes);
  own("StopSignal", (c.Config as { StopSignal?: string }).StopSignal, (defaults as { StopSignal?: string } | undefined)?.StopSignal);
  own("Healthcheck", (c.Config as { Healthcheck?: Docker.ContainerCreateOptions["Healthcheck"] }).Healthcheck, (defaults as { Healthcheck?: unknown } | undefined)?.Healthcheck);
  // Docker names the host after the container id unless told otherwise.
  if (c.Config.Hostname && !c.Id.startsWith(c.Config.Hostname)) config.Hostname = c.Config.Hostname;
  if (c.Config.Domainname) config.Domainname = c.Config.Domainname;
  for (const k of ["Tty", "OpenStdin", "StdinOnce", "AttachStdin", "AttachStdout", "AttachStderr"] as const) config[k] = c.Config[k];
  return { ...(env.length ? { env: Object.fromEntries(env.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)])) } : {}), config };
}

/** The create options of a container like `c` on another image, and the networks to connect after creation. */
async function recreateSpec(docker: Docker, c: Inspect, image: string): Promise<{ config: Docker.ContainerCreateOptions; laterNetworks: [string, Docker.EndpointSettings][] }> {
  const { config } = await ownSettings(docker, c);
  const mode = c.HostConfig.NetworkMode ?? "default";
  const endpoints = Object.entries(c.NetworkSettings?.Networks ?? {})
    // host, none and container:… modes carry no endpoint of their own.
    .filter(() => !/^(host|none|container:)/.test(mode))
    .map(([net, e]): [string, Docker.EndpointSettings] => [
      net,
      {
        ...(e.IPAMConfig ? { IPAMConfig: e.IPAMConfig } : {}),
        ...(e.Links ? { Links: e.Links } : {}),
        // The old container's own short id is an automatic alias; the new one gets its own.
        ...(e.Aliases ? { Aliases: e.Aliases.filter((a: string) => !c.Id.startsWith(a)) } : {}),
      },
    ]);
  const [first, ...rest] = endpoints;
  return {
    config: {
      ...config,
      Image: image,
      HostConfig: c.HostConfig,
      ...(first ? { NetworkingConfig: { EndpointsConfig: { [first[0]]: first[1] } } } : {}),
    },
    laterNetworks: rest,
  };
}

type InspectMount = Inspect["Mounts"][number];

function toMount(m: InspectMount): DockerMount {
  return m.Type === "volume" ? { type: "volume", source: m.Name ?? m.Source, target: m.Destination, readOnly: !m.RW } : { type: "bind", source: m.Source, target: m.Destination, readOnly: !m.RW };
}

function engineError(e: unknown, what: string): Error {
  const err = e as { statusCode?: number; message?: string; code?: string };
  if (e instanceof EnvironmentError) return e;
  if (err.statusCode === 404) return new EnvironmentError(`docker: ${what}: not found`, { code: "DOCKER_NOT_FOUND", cause: e });
  if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "EACCES") {
    return new EnvironmentError(`docker: engine unreachable (${err.code}) while ${what}`, { code: "DOCKER_UNAVAILABLE", cause: e });
  }
  return new EnvironmentError(`docker: ${what}: ${err.message ?? String(e)}`, { code: "DOCKER_ERROR", cause: e });
}

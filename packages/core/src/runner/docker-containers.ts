/**
 * Container lifecycle for deploys: inspect, stop, start, restart, and finding a Compose service's container
 * by its `com.docker.compose.*` labels.
 */
import { EnvironmentError } from "../errors.js";
import { dockerClient, type DockerConnection } from "./docker-client.js";

/** Common options of the container lifecycle functions. */
export interface ContainerOptions {
  /** Container name or id. */
  container: string;
  /** Engine connection (default: `DOCKER_HOST`, else the default socket). */
  docker?: DockerConnection;
  signal?: AbortSignal;
}

/** What a deploy needs to know about a container. */
export interface ContainerInfo {
  id: string;
  /** Name without the leading slash. */
  name: string;
  /** Image reference the container was created from (as given, e.g. `odoo:17.0`). */
  image: string;
  /** Image id (`sha256:…`). */
  imageId: string;
  /** `created | running | paused | restarting | removing | exited | dead`. */
  state: string;
  running: boolean;
  /** Health check status when the image defines one: `starting | healthy | unhealthy`. */
  health?: string;
  exitCode: number;
  startedAt: string;
  labels: Record<string, string>;
}

function notFound(e: unknown, container: string): Error {
  const err = e as { statusCode?: number; message?: string; code?: string };
  if (err.statusCode === 404) {
    return new EnvironmentError(`docker: container ${container} not found`, { code: "DOCKER_CONTAINER_NOT_FOUND", cause: e, details: { container } });
  }
  return new EnvironmentError(`docker: container ${container}: ${err.message ?? String(e)}`, { code: "DOCKER_ERROR", cause: e, details: { container } });
}

/**
 * Inspects a container: image, state, health.
 *
 * @example
 * const info = await inspectContainer({ container: "odoo-web-1" });
 * if (info.health === "unhealthy") console.warn(info.name, "is unhealthy");
 */
export async function inspectContainer(options: ContainerOptions): Promise<ContainerInfo> {
  const docker = dockerClient(options.docker);
  try {
    const i = await docker.getContainer(options.container).inspect({ abortSignal: options.signal });
    return {
      id: i.Id,
      name: i.Name.replace(/^\//, ""),
      image: i.Config.Image,
      imageId: i.Image,
      state: i.State.Status,
      running: i.State.Running,
      ...(i.State.Health?.Status ? { health: i.State.Health.Status } : {}),
      exitCode: i.State.ExitCode,
      startedAt: i.State.StartedAt,
      labels: i.Config.Labels ?? {},
    };
  } catch (e) {
    throw notFound(e, options.container);
  }
}

/**
 * Stops a container (SIGTERM, then SIGKILL after `timeoutSeconds`, default 10). Stopping a stopped container
 * is not an error.
 *
 * @example await stopContainer({ container: "odoo-web-1", timeoutSeconds: 30 });
 */
export async function stopContainer(options: ContainerOptions & { timeoutSeconds?: number }): Promise<void> {
  const docker = dockerClient(options.docker);
  try {
    await docker.getContainer(options.container).stop({ t: options.timeoutSeconds ?? 10, abortSignal: options.signal });
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 304) return;
    throw notFound(e, options.container);
  }
}

/**
 * Starts a stopped container. Starting a running container is not an error.
 *
 * @example await startContainer({ container: "odoo-web-1" });
 */
export async function startContainer(options: ContainerOptions): Promise<void> {
  const docker = dockerClient(options.docker);
  try {
    await docker.getContainer(options.container).start({ abortSignal: options.signal });
  } catch (e) {
    if ((e as { statusCode?: number }).statusCode === 304) return;
    throw notFound(e, options.container);
  }
}

/**
 * Restarts a container.
 *
 * @example await restartContainer({ container: "odoo-web-1", timeoutSeconds: 30 });
 */
export async function restartContainer(options: ContainerOptions & { timeoutSeconds?: number }): Promise<void> {
  const docker = dockerClient(options.docker);
  try {
    await docker.getContainer(options.container).restart({ t: options.timeoutSeconds ?? 10, abortSignal: options.signal });
  } catch (e) {
    throw notFound(e, options.container);
  }
}

/** Options of {@link findComposeContainers}. */
export interface FindComposeOptions {
  /** Compose project name (`com.docker.compose.project`). */
  project: string;
  /** Compose service name (`com.docker.compose.service`). */
  service: string;
  /** Include stopped containers (default false). */
  all?: boolean;
  docker?: DockerConnection;
  signal?: AbortSignal;
}

/**
 * The containers of a Compose service, found by their `com.docker.compose.project` / `.service` labels, in
 * replica order (`com.docker.compose.container-number`).
 *
 * @example
 * const [web] = await findComposeContainers({ project: "odoo", service: "web" });
 * const runner = createDockerRunner({ container: web!.id });
 */
export async function findComposeContainers(options: FindComposeOptions): Promise<ContainerInfo[]> {
  const docker = dockerClient(options.docker);
  let list: Awaited<ReturnType<typeof docker.listContainers>>;
  try {
    list = await docker.listContainers({
      all: options.all ?? false,
      filters: { label: [`com.docker.compose.project=${options.project}`, `com.docker.compose.service=${options.service}`] },
      abortSignal: options.signal,
    });
  } catch (e) {
    throw new EnvironmentError(`docker: listing containers failed: ${(e as Error).message}`, { code: "DOCKER_UNAVAILABLE", cause: e });
  }
  const num = (l: Record<string, string>) => Number(l["com.docker.compose.container-number"] ?? 0);
  list.sort((a, b) => num(a.Labels) - num(b.Labels));
  return Promise.all(list.map((c) => inspectContainer({ container: c.Id, docker, signal: options.signal })));
}

/**
 * The one container of a Compose service (the first replica when scaled); throws
 * `DOCKER_CONTAINER_NOT_FOUND` when the service has none running.
 *
 * @example const db = await findComposeContainer({ project: "odoo", service: "db" });
 */
export async function findComposeContainer(options: FindComposeOptions): Promise<ContainerInfo> {
  const [first] = await findComposeContainers(options);
  if (!first) {
    throw new EnvironmentError(`docker: no ${options.all ? "" : "running "}container for Compose service ${options.project}/${options.service}`, {
      code: "DOCKER_CONTAINER_NOT_FOUND",
      details: { project: options.project, service: options.service },
    });
  }
  return first;
}

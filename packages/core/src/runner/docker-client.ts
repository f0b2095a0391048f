import Docker from "dockerode";
import { UsageError } from "../errors.js";

/**
 * How to reach the Docker engine: a dockerode instance, its connection options, or a `DOCKER_HOST`-style
 * URL (`unix:///var/run/docker.sock`, `tcp://host:2375`). Default: `DOCKER_HOST`, else the default socket.
 */
export type DockerConnection = Docker | Docker.DockerOptions | string;

/**
 * The dockerode client for a connection option.
 *
 * @example dockerClient("unix:///var/run/docker.sock")
 */
export function dockerClient(conn: DockerConnection | undefined): Docker {
  if (conn instanceof Docker) return conn;
  if (typeof conn === "string") return new Docker(parseDockerHost(conn));
  return new Docker(conn);
}

/**
 * Parses a `DOCKER_HOST`-style URL into dockerode options.
 *
 * @example parseDockerHost("tcp://10.0.0.5:2375") // { host: "10.0.0.5", port: 2375, protocol: "http" }
 */
export function parseDockerHost(url: string): Docker.DockerOptions {
  if (url.startsWith("unix://")) return { socketPath: url.slice("unix://".length) };
  if (url.startsWith("/")) return { socketPath: url };
  const m = /^(tcp|http|https):\/\/([^:/]+|\[[^\]]+\])(?::(\d+))?\/?$/.exec(url);
  if (!m) throw new UsageError(`unsupported Docker host ${JSON.stringify(url)} (expected unix:///path or tcp://host:port)`, { code: "DOCKER_HOST_INVALID" });
  const protocol = m[1] === "https" ? "https" : "http";
  return { host: m[2]!.replace(/^\[|\]$/g, ""), port: m[3] ? Number(m[3]) : protocol === "https" ? 2376 : 2375, protocol };
}

import type Docker from "dockerode";
import { createRequire } from "node:module";
import { UsageError } from "../errors.js";

const require = createRequire(import.meta.url);
/**
 * dockerode (CommonJS; with its dependencies about a quarter of a second to load here) is loaded when the first
 * client is made, not when the package is imported: commands that never talk to Docker start faster.
 */
const loadDockerode = (): typeof Docker => require("dockerode") as typeof Docker;

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
  const DockerClient = loadDockerode();
  if (conn instanceof DockerClient) return conn;
  if (typeof conn === "string") return new DockerClient(parseDockerHost(conn));
  return new DockerClient(conn);
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

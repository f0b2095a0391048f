import type Docker from "dockerode";
import { randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import type { Duplex, Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { EnvironmentError, UsageError } from "../errors.js";
import { dockerClient, type DockerConnection } from "./docker-client.js";
import { findComposeContainer } from "./docker-containers.js";
import { DockerDemuxer } from "./docker-demux.js";
import { execThroughSpawn, runThroughTransport, type Transport, type TransportIo } from "./streamed.js";
import type { CommandRunner, SpawnOptions } from "./types.js";


/** A mount of a one-off container. */
export interface DockerMount {
  /** Host path (bind) or volume name. */
  source: string;
  /** Path inside the container. */
  target: string;
  type?: "bind" | "volume";
  readOnly?: boolean;
}

/**
 * Options of {@link createDockerRunner}: one of `container` or `compose` (exec in a running container) or
 * `image` (one-off containers).
 */
export interface DockerRunnerOptions {
  /** Run each command with `docker exec` in this running container (name or id). */
  container?: string;
  /** Or exec in the (first running) container of this Compose service, found by its labels at the first command. */
  compose?: { project: string; service: string };
  /** Or run each command in a new container from this image, removed afterwards (even when aborted). */
  image?: string;
  /** Engine connection (default: `DOCKER_HOST`, else the default socket). */
  docker?: DockerConnection;
  /** User to run as (`uid`, `uid:gid` or a name known in the container). */
  user?: string;
  /** Variables for every command (values are secrets: never logged). */
  env?: Record<string, string>;
  /** A `KEY=VALUE` env file read on this host (Docker's `--env-file` format: no quotes, `#` comments). */
  envFile?: string;
  /** Default working directory inside the container. */
  cwd?: string;
  /** One-off containers: network mode, e.g. `host` or a Compose network name. */
  network?: string;
  /** One-off containers: bind mounts and volumes. */
  mounts?: DockerMount[];
  /** One-off containers: labels added to each container. */
  labels?: Record<string, string>;
  /** Milliseconds between SIGTERM and SIGKILL when a command is stopped (default 3000). */
  killGraceMs?: number;
  /**
   * How exec'd processes are found to be stopped: `auto` (default) looks in this host's /proc first (the
   * engine is local) and falls back to looking from inside the container; `container` always does the latter
   * (needs `sh`, `tr` and `grep` in the image).
   */
  killFrom?: "auto" | "container";
}

/** Environment variable carrying a per-command marker, so a stopped command's processes can be found. */
const MARKER = "ODOO_DEPLOY_EXEC_ID";


/**
 * A runner for commands inside Docker: `docker exec` in a running container, or a one-off container per
 * command from an image (how `odoo-bin -u … --stop-after-init` runs with a *new* image before the service is
 * switched). Output is demultiplexed with backpressure; the exit code comes from exec/container inspect.
 * Aborting or a timeout kills the process itself: for exec, every process carrying the command's marker
 * variable (found through /proc on the engine's host when local, else from inside the container with `sh`);
 * for one-off containers, the container, which is then removed.
 *
 * @example
 * const inDb = createDockerRunner({ container: "odoo-db-1" });
 * const cmd = inDb.spawn(["pg_dump", "-Fc", "-U", "odoo", "prod"]);
 * await pipeline(cmd.stdout, createWriteStream("prod.dump"));
 *
 * const oneOff = createDockerRunner({ image: "odoo:17.0-new", network: "odoo_default", envFile: ".env" });
 * await oneOff.exec(["odoo", "-d", "prod", "-u", "sale", "--stop-after-init"]);
 */
export function createDockerRunner(options: DockerRunnerOptions): CommandRunner {
  if ([options.container, options.image, options.compose].filter((x) => x !== undefined).length !== 1) {
    throw new UsageError("createDockerRunner needs exactly one of `container`, `compose` or `image`", { code: "DOCKER_RUNNER_TARGET" });
  }
  const docker = dockerClient(options.docker);
  let target: Promise<string> | undefined;
  const resolveContainer = (): Promise<string> => {
    if (options.container) return Promise.resolve(options.container);
    target ??= findComposeContainer({ ...options.compose!, docker }).then((c) => c.id);
    target.catch(() => (target = undefined));
    return target;
  };
  const fileEnv = options.envFile ? parseEnvFile(readFileSync(options.envFile, "utf8")) : {};
  const grace = options.killGraceMs ?? 3000;
  const spawn = (argv: readonly string[], opts: SpawnOptions = {}) => {
    if (argv.length === 0) throw new UsageError("empty argv", { code: "EMPTY_COMMAND" });
    const env = { ...fileEnv, ...options.env, ...opts.env };
    const cwd = opts.cwd ?? options.cwd;
    const transport = !options.image
      ? execTransport(docker, resolveContainer, argv, env, cwd, options.user, options.killFrom ?? "auto")
      : oneOffTransport(docker, options, argv, env, cwd);
    return runThroughTransport(argv, opts, transport, grace);
  };
  return {
    kind: "docker",
    description: options.image
      ? `docker-run:${options.image}`
      : options.container
        ? `docker:${options.container}`
        : `docker-compose:${options.compose!.project}/${options.compose!.service}`,
    spawn,
    exec: (argv, opts = {}) => execThroughSpawn(spawn, argv, opts),
    async close() {},
  };
}

/** Parses Docker's env-file format: `KEY=VALUE` lines, `#` comments, a bare `KEY` taken from this process. */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq === -1) {
      const v = process.env[line.trim()];
      if (v !== undefined) env[line.trim()] = v;
    } else env[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return env;
}

function envList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([k, v]) => `${k}=${v}`);
}

/** Maps an engine error to a typed core error without leaking anything but the engine's own message. */
function engineError(e: unknown, what: string): Error {
  const err = e as { statusCode?: number; message?: string; code?: string };
  if (err.statusCode === 404) return new EnvironmentError(`docker: ${what}: not found`, { code: "DOCKER_NOT_FOUND", cause: e });
  if (err.code === "ENOENT" || err.code === "ECONNREFUSED" || err.code === "EACCES") {
    return new EnvironmentError(`docker: engine unreachable (${err.code}) while ${what}`, { code: "DOCKER_UNAVAILABLE", cause: e });
  }
  return new EnvironmentError(`docker: ${what}: ${err.message ?? String(e)}`, { code: "DOCKER_ERROR", cause: e });
}

function execTransport(
  docker: Docker,
  resolveContainer: () => Promise<string>,
  argv: readonly string[],
  env: Record<string, string>,
  cwd: string | undefined,
  user: string | undefined,
  killFrom: "auto" | "container",
): Transport {
  const marker = randomUUID();
  let container: Docker.Container | undefined;
  let containerName = "";
  let exec: Docker.Exec | undefined;
  let started = false;
  let requested: "TERM" | "KILL" | undefined;
  const transport: Transport = {
    async run(io) {
      containerName = await resolveContainer();
      container = docker.getContainer(containerName);
      try {
        exec = await container.exec({
          Cmd: [...argv],
          Env: envList({ ...env, [MARKER]: marker }),
          ...(cwd ? { WorkingDir: cwd } : {}),
          ...(user ? { User: user } : {}),
          AttachStdin: io.stdin !== undefined,
          AttachStdout: true,
          AttachStderr: true,
          Tty: false,
        });
      } catch (e) {
        throw engineError(e, `exec in container ${containerName}`);
      }
      let stream: Duplex;
      try {
        stream = (await exec.start({ hijack: true, stdin: io.stdin !== undefined, Detach: false, Tty: false })) as Duplex;
      } catch (e) {
        throw engineError(e, `starting exec in container ${containerName}`);
      }
      started = true;
      // Stopped before the process existed: stop it now.
      if (requested) void transport.signal(requested).catch(() => {});
      let errHead = "";
      io.stderr.on("data", (c: Buffer) => {
        if (errHead.length < 1024) errHead += c.toString("utf8");
      });
      await pumpAttached(stream, io);
      // The stream can end a moment before the engine records the exit.
      for (let i = 0; ; i++) {
        const info = await exec.inspect();
        if (!info.Running || i > 200) {
          // The engine says 126 for a binary that does not exist; shells and the other runners say 127.
          if (info.ExitCode === 126 && MISSING_BINARY.test(errHead)) return { exitCode: 127 };
          return { exitCode: info.Running ? null : info.ExitCode };
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async signal(sig) {
      requested = sig;
      if (!started) return;
      const hostPids = killFrom === "auto" ? localProcessesWithMarker(marker) : undefined;
      if (hostPids !== undefined && hostPids.length > 0) {
        for (const pid of hostPids) tryKill(pid, sig);
        return;
      }
      if (!exec || !container) return;
      // The engine is not on this host: find the processes from inside the container (needs sh, tr, grep).
      const killer = await container.exec({
        Cmd: [
          "sh",
          "-c",
          `for d in /proc/[0-9]*; do if tr '\\000' '\\n' < "$d/environ" 2>/dev/null | grep -qx "${MARKER}=$1"; then kill -${sig} "\${d#/proc/}" 2>/dev/null; fi; done`,
          "odoo-deploy-kill",
          marker,
        ],
        User: "0",
        AttachStdout: false,
        AttachStderr: false,
      });
      await killer.start({ Detach: true });
    },
  };
  return transport;
}

function oneOffTransport(
  docker: Docker,
  options: DockerRunnerOptions,
  argv: readonly string[],
  env: Record<string, string>,
  cwd: string | undefined,
): Transport {
  let container: Docker.Container | undefined;
  let stopRequested: "TERM" | "KILL" | undefined;
  return {
    async run(io) {
      const wantStdin = io.stdin !== undefined;
      try {
        container = await docker.createContainer({
          Image: options.image!,
          Cmd: [...argv],
          Env: envList(env),
          ...(cwd ? { WorkingDir: cwd } : {}),
          ...(options.user ? { User: options.user } : {}),
          Labels: { "odoo-deploy.one-off": "true", ...options.labels },
          AttachStdin: wantStdin,
          AttachStdout: true,
          AttachStderr: true,
          OpenStdin: wantStdin,
          StdinOnce: wantStdin,
          Tty: false,
          HostConfig: {
            ...(options.network ? { NetworkMode: options.network } : {}),
            ...(options.mounts
              ? {
                  Mounts: options.mounts.map((m) => ({
                    Type: m.type ?? "bind",
                    Source: m.source,
                    Target: m.target,
                    ReadOnly: m.readOnly ?? false,
                  })),
                }
              : {}),
          },
        });
      } catch (e) {
        throw engineError(e, `creating a container from image ${options.image}`);
      }
      const c = container;
      try {
        const stream = (await c.attach({ stream: true, stdout: true, stderr: true, stdin: wantStdin, hijack: true })) as Duplex;
        const waited = c.wait({ condition: "next-exit" });
        try {
          await c.start();
        } catch (e) {
          stream.destroy();
          // Like `docker run`: a command that cannot be found is exit 127, one that cannot be run 126.
          const msg = (e as { json?: { message?: string } }).json?.message ?? (e as Error).message;
          if (/executable file not found|exec: "[^"]*": stat [^:]*: no such file or directory/i.test(msg)) return startFailure(io, msg, 127);
          if (/permission denied/i.test(msg)) return startFailure(io, msg, 126);
          throw engineError(e, `starting a container from image ${options.image}`);
        }
        // Aborted before the container was up: stop it now.
        if (stopRequested) await c.kill({ signal: `SIG${stopRequested}` }).catch(() => {});
        await pumpAttached(stream, io);
        const { StatusCode } = (await waited) as { StatusCode: number };
        return { exitCode: StatusCode };
      } finally {
        await c.remove({ force: true, v: true }).catch(() => {});
      }
    },
    async signal(sig) {
      stopRequested = sig;
      await container?.kill({ signal: `SIG${sig}` }).catch(() => {});
    },
  };
}

function startFailure(io: TransportIo, message: string, exitCode: number): { exitCode: number } {
  io.stderr.end(`${message.trim()}\n`);
  io.stdout.end();
  return { exitCode };
}

/** The engine's message for an exec whose binary does not exist. */
const MISSING_BINARY = /^OCI runtime exec failed.*(executable file not found|exec: "[^"]*": stat [^:]*: no such file or directory)/;

/** Connects the caller's stdin to an attached stream and its demultiplexed output to stdout/stderr. */
async function pumpAttached(stream: Duplex, io: TransportIo): Promise<void> {
  if (io.stdin) {
    const input: Readable = io.stdin;
    // .pipe() and not pipeline(): ending stdin must half-close the socket (the engine then closes the
    // process's stdin) while its read side keeps delivering output.
    input.pipe(stream, { end: true });
    input.on("error", () => stream.end());
  }
  stream.on("error", () => {});
  await pipeline(stream, new DockerDemuxer(io.stdout, io.stderr)).catch((e: unknown) => {
    // A socket reset after the process was killed is the normal end of an aborted command.
    if ((e as NodeJS.ErrnoException).code !== "ECONNRESET" && (e as NodeJS.ErrnoException).code !== "ERR_STREAM_PREMATURE_CLOSE") throw e;
  });
  io.stdout.end();
  io.stderr.end();
}

/**
 * Pids on this host whose environment holds the marker: the exec'd process and everything it started.
 * `undefined` when /proc cannot tell (not Linux, or the engine is on another host and nothing matched).
 */
function localProcessesWithMarker(marker: string): number[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return undefined;
  }
  const needle = Buffer.from(`${MARKER}=${marker}`);
  const pids: number[] = [];
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`);
      if (environ.includes(needle)) pids.push(Number(name));
    } catch {
      /* gone, or not ours to read */
    }
  }
  return pids;
}

function tryKill(pid: number, sig: "TERM" | "KILL"): void {
  try {
    process.kill(pid, `SIG${sig}`);
  } catch {
    /* already gone */
  }
}

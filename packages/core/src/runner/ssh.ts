import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable, Writable } from "node:stream";
import { createRequire } from "node:module";
import type * as Ssh2 from "ssh2";
import type { Client, ClientChannel, ConnectConfig, SFTPWrapper } from "ssh2";
import { AbortedError, EnvironmentError, UsageError } from "../errors.js";
import { checkKnownHosts, checkPinnedFingerprint, type HostKeyVerdict } from "./known-hosts.js";
import { envBlock, shellCommand } from "./quote.js";
import { execThroughSpawn, runThroughTransport, type Transport } from "./streamed.js";
import type { CommandRunner, SpawnOptions } from "./types.js";

const require = createRequire(import.meta.url);
/**
 * ssh2 (a CommonJS package) is loaded when the first connection opens, not when the package is imported: the CLI
 * and library users who never use SSH do not pay for it at start-up.
 */
const loadSsh2 = (): typeof Ssh2 => require("ssh2") as typeof Ssh2;

/**
 * How an SSH runner treats the server's host key:
 * - `strict` (default): the key must be in known_hosts or match a pinned fingerprint; unknown and changed
 *   keys are refused;
 * - `accept-unknown`: a host absent from known_hosts is accepted (and not recorded); a changed key is still
 *   refused;
 * - `off`: any key is accepted. Only for throwaway hosts.
 */
export type HostKeyPolicy = "strict" | "accept-unknown" | "off";

/** Options of {@link createSshRunner}. */
export interface SshRunnerOptions {
  host: string;
  /** Default 22. */
  port?: number;
  /** Login user. */
  user: string;
  /** Path of a private key file (OpenSSH or PEM format). */
  privateKeyPath?: string;
  /** A private key's contents (instead of a path). Never logged. */
  privateKey?: string | Buffer;
  /** Passphrase of an encrypted private key. */
  passphrase?: string;
  /** Password authentication. Never logged. */
  password?: string;
  /** An ssh-agent socket path, or `true` for `SSH_AUTH_SOCK`. */
  agent?: string | boolean;
  /** known_hosts file(s) to verify the host key against (default `~/.ssh/known_hosts`). */
  knownHostsPath?: string | string[];
  /** Pinned host key fingerprint(s), `SHA256:…` as `ssh-keygen -lf` prints; checked instead of known_hosts. */
  hostKeyFingerprint?: string | string[];
  /** See {@link HostKeyPolicy}. Default `strict`. */
  hostKeyPolicy?: HostKeyPolicy;
  /**
   * Variables for every command. OpenSSH drops `env` requests outside `AcceptEnv`, and the command line is
   * visible to every user of the host (`ps`), so they travel on the channel's stdin to a small `sh` wrapper
   * that exports them and then runs the command (whose own stdin follows).
   */
  env?: Record<string, string>;
  /** Default working directory on the remote host. */
  cwd?: string;
  /** Milliseconds to establish the connection and authenticate (default 20000): a dead host never hangs. */
  connectTimeoutMs?: number;
  /** Keepalive interval in milliseconds (default 15000; 0 disables). */
  keepaliveIntervalMs?: number;
  /** Unanswered keepalives before the connection is considered dead (default 3). */
  keepaliveCountMax?: number;
  /** Commands running at once on the one connection (default 8; OpenSSH's MaxSessions default is 10). */
  maxConcurrentCommands?: number;
  /** Milliseconds between SIGTERM and SIGKILL when a command is stopped (default 3000). */
  killGraceMs?: number;
}

/** Options of file transfers over SFTP. */
export interface TransferOptions {
  signal?: AbortSignal;
  /** File mode of the created file (upload only), e.g. `0o600`. */
  mode?: number;
}

/** A {@link CommandRunner} over one reused SSH connection, plus SFTP file transfer. */
export interface SshRunner extends CommandRunner {
  /** Connects now (the first command otherwise does), surfacing host-key and auth errors early. */
  connect(): Promise<void>;
  /** Copies a local file to the remote host over SFTP. */
  uploadFile(localPath: string, remotePath: string, options?: TransferOptions): Promise<void>;
  /** Copies a remote file to this host over SFTP. */
  downloadFile(remotePath: string, localPath: string, options?: TransferOptions): Promise<void>;
}

const PID_LINE = /^ODOO_DEPLOY_PID (\d+)$/;

/**
 * A runner for commands on a remote host over SSH (ssh2): key file, agent or password authentication; host
 * key verified against known_hosts or a pinned fingerprint; one connection reused for every command, with
 * keepalive. Each command runs as `sh -c` of its quoted argv, its environment read from the channel's stdin
 * first (never on the command line, which `ps` shows every user of the host); aborting or a timeout kills the
 * remote process group itself (found by the pid the command line reports), not only the channel. The login
 * shell of the remote user must be a POSIX shell.
 *
 * @example
 * const runner = createSshRunner({
 *   host: "odoo.example.com", user: "deploy", privateKeyPath: "~/.ssh/id_ed25519",
 *   hostKeyFingerprint: "SHA256:wKjVrxg8LDrDBJbxlQX4LMRViYJqqIefJijaqkR5rTo",
 * });
 * const r = await runner.exec(["pg_dump", "--version"]);
 * await runner.close();
 */
export function createSshRunner(options: SshRunnerOptions): SshRunner {
  const port = options.port ?? 22;
  const where = `${options.user}@${options.host}:${port}`;
  const limit = new Semaphore(options.maxConcurrentCommands ?? 8);
  let connecting: Promise<Client> | undefined;

  const getConnection = (): Promise<Client> => {
    connecting ??= openConnection(options, port, where).then(
      (client) => {
        client.once("close", () => {
          connecting = undefined;
        });
        return client;
      },
      (e: unknown) => {
        connecting = undefined;
        throw e;
      },
    );
    return connecting;
  };

  const spawn = (argv: readonly string[], opts: SpawnOptions = {}) => {
    if (argv.length === 0) throw new UsageError("empty argv", { code: "EMPTY_COMMAND" });
    let line: string;
    let preamble: Buffer;
    try {
      line = shellCommand(argv, { envFromStdin: true, cwd: opts.cwd ?? options.cwd });
      preamble = envBlock({ ...options.env, ...opts.env });
    } catch (e) {
      throw new UsageError(`ssh ${where}: ${(e as Error).message}`, { code: "INVALID_COMMAND", cause: e });
    }
    return runThroughTransport(argv, opts, sshTransport(getConnection, limit, line, preamble, where), options.killGraceMs ?? 3000);
  };

  const sftp = async (signal: AbortSignal | undefined): Promise<SFTPWrapper> => {
    if (signal?.aborted) throw new AbortedError();
    const conn = await getConnection();
    return new Promise((resolve, reject) =>
      conn.sftp((err, s) => (err ? reject(new EnvironmentError(`ssh ${where}: SFTP unavailable: ${err.message}`, { code: "SSH_SFTP_FAILED", cause: err })) : resolve(s))),
    );
  };
  const transfer = async (kind: "upload" | "download", from: string, to: string, o: TransferOptions = {}) => {
    const s = await sftp(o.signal);
    const onAbort = () => s.end();
    o.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      await new Promise<void>((resolve, reject) => {
        const done = (err: Error | null | undefined) => {
          if (!err) return resolve();
          if (o.signal?.aborted) return reject(new AbortedError());
          reject(new EnvironmentError(`ssh ${where}: ${kind} ${from} → ${to} failed: ${err.message}`, { code: "SSH_TRANSFER_FAILED", cause: err }));
        };
        if (kind === "upload") s.fastPut(from, to, o.mode !== undefined ? { mode: o.mode } : {}, done);
        else s.fastGet(from, to, {}, done);
      });
    } finally {
      o.signal?.removeEventListener("abort", onAbort);
      s.end();
    }
  };

  return {
    kind: "ssh",
    description: `ssh:${where}`,
    spawn,
    exec: (argv, opts = {}) => execThroughSpawn(spawn, argv, opts),
    async connect() {
      await getConnection();
    },
    uploadFile: (localPath, remotePath, o) => transfer("upload", localPath, remotePath, o),
    downloadFile: (remotePath, localPath, o) => transfer("download", remotePath, localPath, o),
    async close() {
      const pending = connecting;
      connecting = undefined;
      if (!pending) return;
      const client = await pending.catch(() => undefined);
      if (!client) return;
      await new Promise<void>((resolve) => {
        client.once("close", () => resolve());
        client.end();
        setTimeout(resolve, 2000).unref();
      });
    },
  };
}

function expandHome(p: string): string {
  return p.startsWith("~/") ? path.join(os.homedir(), p.slice(2)) : p;
}

function readKnownHosts(paths: string[]): string {
  return paths
    .map((p) => {
      try {
        return readFileSync(expandHome(p), "utf8");
      } catch {
        return "";
      }
    })
    .join("\n");
}

function openConnection(options: SshRunnerOptions, port: number, where: string): Promise<Client> {
  const policy = options.hostKeyPolicy ?? "strict";
  const pinned = options.hostKeyFingerprint === undefined ? undefined : [options.hostKeyFingerprint].flat();
  const knownHostsPaths = [options.knownHostsPath ?? "~/.ssh/known_hosts"].flat();
  let verdict: HostKeyVerdict | undefined;

  const config: ConnectConfig = {
    host: options.host,
    port,
    username: options.user,
    readyTimeout: options.connectTimeoutMs ?? 20_000,
    keepaliveInterval: options.keepaliveIntervalMs ?? 15_000,
    keepaliveCountMax: options.keepaliveCountMax ?? 3,
    tryKeyboard: false,
    hostVerifier: (key: Buffer) => {
      if (policy === "off") return true;
      verdict = pinned ? checkPinnedFingerprint(pinned, key) : checkKnownHosts(readKnownHosts(knownHostsPaths), options.host, port, key);
      if (verdict.status === "known") return true;
      return verdict.status === "unknown" && policy === "accept-unknown";
    },
  };
  if (options.privateKey !== undefined) config.privateKey = options.privateKey;
  else if (options.privateKeyPath) {
    try {
      config.privateKey = readFileSync(expandHome(options.privateKeyPath));
    } catch (e) {
      return Promise.reject(
        new UsageError(`ssh ${where}: cannot read private key ${options.privateKeyPath}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, {
          code: "SSH_KEY_UNREADABLE",
          cause: e,
        }),
      );
    }
  }
  if (options.passphrase !== undefined) config.passphrase = options.passphrase;
  if (options.password !== undefined) config.password = options.password;
  if (options.agent) {
    const sock = options.agent === true ? process.env.SSH_AUTH_SOCK : options.agent;
    if (sock) config.agent = sock;
  }
  if (config.privateKey === undefined && config.password === undefined && config.agent === undefined) {
    return Promise.reject(
      new UsageError(`ssh ${where}: no authentication configured (privateKeyPath, privateKey, password or agent)`, { code: "SSH_NO_AUTH" }),
    );
  }

  return new Promise((resolve, reject) => {
    const client = new (loadSsh2().Client)();
    let ready = false;
    client.once("ready", () => {
      ready = true;
      resolve(client);
    });
    client.on("error", (err: Error & { level?: string; code?: string }) => {
      if (ready) return; // a dropped connection ends its channels; the next command reconnects
      client.destroy();
      reject(connectError(err, where, verdict, policy, pinned !== undefined));
    });
    client.once("close", () => {
      if (!ready) reject(new EnvironmentError(`ssh ${where}: connection closed during set-up`, { code: "SSH_CONNECTION_CLOSED" }));
    });
    try {
      client.connect(config);
    } catch (e) {
      // ssh2 throws synchronously for a key it cannot parse; its message never includes the key.
      reject(new UsageError(`ssh ${where}: ${(e as Error).message}`, { code: "SSH_KEY_INVALID", cause: e }));
    }
  });
}

function connectError(
  err: Error & { level?: string; code?: string },
  where: string,
  verdict: HostKeyVerdict | undefined,
  policy: HostKeyPolicy,
  pinned: boolean,
): Error {
  if (verdict && verdict.status !== "known") {
    const details = { fingerprint: verdict.fingerprint, keyType: verdict.keyType, ...(verdict.status === "changed" ? { expected: verdict.expected } : {}) };
    if (verdict.status === "changed") {
      return new EnvironmentError(
        `ssh ${where}: host key does not match (${verdict.keyType} ${verdict.fingerprint}; ${pinned ? "pinned" : "known_hosts has"} ${verdict.expected.join(", ")}) — possible man-in-the-middle; refusing to connect`,
        { code: "SSH_HOST_KEY_CHANGED", details },
      );
    }
    if (verdict.status === "revoked") {
      return new EnvironmentError(`ssh ${where}: host key ${verdict.fingerprint} is marked @revoked in known_hosts`, { code: "SSH_HOST_KEY_REVOKED", details });
    }
    if (policy === "strict") {
      return new EnvironmentError(
        `ssh ${where}: host key ${verdict.keyType} ${verdict.fingerprint} is unknown; add it to known_hosts or pin it with hostKeyFingerprint (or allow unknown hosts explicitly)`,
        { code: "SSH_HOST_KEY_UNKNOWN", details },
      );
    }
  }
  if (err.level === "client-authentication") {
    return new EnvironmentError(`ssh ${where}: authentication failed (${err.message})`, { code: "SSH_AUTH_FAILED", cause: err });
  }
  if (err.level === "client-timeout" || /timed out/i.test(err.message)) {
    return new EnvironmentError(`ssh ${where}: timed out connecting (${err.message})`, { code: "SSH_TIMEOUT", cause: err });
  }
  if (err.code && ["ECONNREFUSED", "ENOTFOUND", "EHOSTUNREACH", "ENETUNREACH", "ECONNRESET", "EAI_AGAIN"].includes(err.code)) {
    return new EnvironmentError(`ssh ${where}: unreachable (${err.code})`, { code: "SSH_UNREACHABLE", cause: err });
  }
  return new EnvironmentError(`ssh ${where}: ${err.message}`, { code: "SSH_CONNECTION_FAILED", cause: err });
}

function sshTransport(getConnection: () => Promise<Client>, limit: Semaphore, commandLine: string, preamble: Buffer, where: string): Transport {
  let conn: Client | undefined;
  let channel: ClientChannel | undefined;
  let pid: number | undefined;
  let pending: "TERM" | "KILL" | undefined;

  const killRemote = async (sig: "TERM" | "KILL") => {
    if (!conn || pid === undefined) {
      pending = sig;
      return;
    }
    try {
      channel?.signal(sig);
    } catch {
      /* channel closed */
    }
    // Most sshds ignore the "signal" request, so kill the process group (the command is its session leader:
    // sshd runs it after setsid) from a second channel. This channel bypasses the concurrency limit.
    const line = `kill -s ${sig} -- -${pid} 2>/dev/null || kill -s ${sig} ${pid} 2>/dev/null; true`;
    await new Promise<void>((resolve) => {
      conn!.exec(line, (err, ch) => {
        if (err) return resolve();
        ch.on("close", () => resolve());
        ch.resume();
        ch.stderr.resume();
        ch.end();
      });
    });
  };

  return {
    async run(io) {
      conn = await getConnection();
      const release = await limit.acquire();
      try {
        const c = conn;
        // The shell reports its pid before exec'ing the command (which keeps that pid) so it can be killed.
        const line = `printf 'ODOO_DEPLOY_PID %s\\n' "$$" >&2 || exit 125\n${commandLine}`;
        let exitCode: number | null = null;
        let closed: Promise<void> | undefined;
        channel = await new Promise<ClientChannel>((resolve, reject) =>
          c.exec(line, (err, ch) => {
            if (err) {
              reject(new EnvironmentError(`ssh ${where}: cannot open a channel: ${err.message}`, { code: "SSH_CHANNEL_FAILED", cause: err }));
              return;
            }
            // Listened to here, not after the await: a command that ends at once (a missing binary) can have its
            // exit status in the same packet batch as the channel's confirmation, and ssh2 emits it before the
            // promise's continuation runs (its exit code was lost: null instead of 127, seen in CI).
            ch.on("exit", (code: number | null) => {
              exitCode = typeof code === "number" ? code : null;
            });
            closed = new Promise<void>((done) => ch.once("close", () => done()));
            resolve(ch);
          }),
        );
        const ch = channel;
        // The environment first, then the command's own stdin on the same channel.
        ch.write(preamble);
        if (io.stdin) {
          io.stdin.pipe(ch, { end: true });
          io.stdin.on("error", () => ch.end());
        } else ch.end();

        const errDone = forwardStderr(ch.stderr, io, (p) => {
          pid = p;
          if (pending) void killRemote(pending);
        });
        const outDone = pumpStdout(ch, io.stdout, () => void killRemote("TERM"));
        await Promise.all([outDone, closed!]);
        // A channel torn down early (the caller destroyed stdout) may never end its stderr stream.
        await Promise.race([errDone, new Promise((r) => setTimeout(r, 500).unref())]);
        return { exitCode };
      } finally {
        release();
      }
    },
    signal: killRemote,
  };
}

/**
 * Forwards channel data to stdout with backpressure (a paused channel stops granting SSH window, so the
 * remote writer blocks). If the caller destroys stdout, the rest is drained and dropped and `onAbandoned`
 * stops the producer; the channel itself stays intact so its exit status and close still arrive.
 */
function pumpStdout(ch: ClientChannel, stdout: Writable, onAbandoned: () => void): Promise<void> {
  return new Promise((resolve) => {
    let dropping = false;
    let ended = false;
    const drop = () => {
      if (dropping) return;
      dropping = true;
      onAbandoned();
      ch.resume();
    };
    stdout.once("close", () => {
      if (!ended) drop();
    });
    ch.on("data", (chunk: Buffer) => {
      if (dropping) return;
      if (stdout.destroyed) return drop();
      if (!stdout.write(chunk)) {
        ch.pause();
        stdout.once("drain", () => {
          if (!dropping) ch.resume();
        });
      }
    });
    ch.once("end", () => {
      ended = true;
      resolve();
    });
    ch.once("close", () => resolve());
  });
}

/** Forwards remote stderr, taking the pid line our command line prints first off it. */
function forwardStderr(stderr: Readable, io: { stderr: NodeJS.WritableStream & { end(): void } }, onPid: (pid: number) => void): Promise<void> {
  return new Promise((resolve) => {
    let head: Buffer | undefined = Buffer.alloc(0);
    stderr.on("data", (chunk: Buffer) => {
      if (head === undefined) {
        io.stderr.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl === -1 && head.length < 64) return;
      const first = nl === -1 ? "" : head.subarray(0, nl).toString("latin1");
      const m = PID_LINE.exec(first);
      const rest = m ? head.subarray(nl + 1) : head;
      head = undefined;
      if (m) onPid(Number(m[1]));
      if (rest.length > 0) io.stderr.write(rest);
    });
    stderr.once("end", () => {
      if (head !== undefined && head.length > 0 && !PID_LINE.test(head.toString("latin1").trim())) io.stderr.write(head);
      io.stderr.end();
      resolve();
    });
    stderr.once("close", () => resolve());
  });
}

/** A counting semaphore: at most `n` holders. */
class Semaphore {
  private waiting: (() => void)[] = [];
  private held = 0;
  constructor(private readonly n: number) {}
  async acquire(): Promise<() => void> {
    if (this.held >= this.n) await new Promise<void>((r) => this.waiting.push(r));
    else this.held++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.held--;
    };
  }
}

/**
 * Stream copies through any runner: a local stream into a file on the runner's side, or a file there into a
 * local stream — a dump streamed into a container or onto a remote host without a temp file here. They run
 * `sh -c 'cat > "$1"'` / `cat` on the far side, so they need only a POSIX shell and cat there.
 */
import type { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { AbortedError, EnvironmentError } from "../errors.js";
import type { CommandRunner, ExecResult } from "./types.js";

/** Result of a stream copy. */
export interface CopyReport {
  ok: true;
  bytes: number;
  durationMs: number;
}

/** Options of {@link copyToRunner}. */
export interface CopyToRunnerOptions {
  runner: CommandRunner;
  /** Local data to write. */
  source: Readable;
  /** Path of the file on the runner's side (created or truncated). */
  path: string;
  /** Create the file with `umask 077` (mode 0600), e.g. for dumps of production data. */
  private?: boolean;
  signal?: AbortSignal;
}

/** Options of {@link copyFromRunner}. */
export interface CopyFromRunnerOptions {
  runner: CommandRunner;
  /** Path of the file on the runner's side. */
  path: string;
  /** Where the bytes go (a file stream, a hash, another command's stdin). */
  destination: Writable;
  signal?: AbortSignal;
}

function counter(): { count: (src: Readable) => AsyncGenerator<Buffer>; bytes: () => number } {
  let n = 0;
  return {
    async *count(src: Readable) {
      for await (const chunk of src) {
        const b = typeof chunk === "string" ? Buffer.from(chunk) : (chunk as Buffer);
        n += b.length;
        yield b;
      }
    },
    bytes: () => n,
  };
}

function failure(what: string, r: ExecResult, runner: CommandRunner, signal?: AbortSignal): Error {
  if (r.canceled || signal?.aborted) return new AbortedError(`${what} aborted`);
  return new EnvironmentError(`${what} on ${runner.description} failed (exit ${r.exitCode ?? "signal"}): ${r.stderr.trim().split("\n").pop() ?? ""}`, {
    code: "RUNNER_COPY_FAILED",
    details: { exitCode: r.exitCode, stderr: r.stderr },
  });
}

/**
 * Streams a local readable into a file on the runner's side, with backpressure end to end.
 *
 * @example
 * await copyToRunner({ runner: createDockerRunner({ container: "db" }), source: createReadStream("x.dump"), path: "/tmp/x.dump" });
 */
export async function copyToRunner(options: CopyToRunnerOptions): Promise<CopyReport> {
  const began = performance.now();
  const script = `${options.private ? "umask 077; " : ""}cat > "$1"`;
  const cmd = options.runner.spawn(["sh", "-c", script, "odoo-deploy-copy", options.path], { stdin: true, signal: options.signal });
  const c = counter();
  cmd.stdout.resume();
  const piped = pipeline(options.source, c.count, cmd.stdin).catch((e: unknown) => e);
  const [pipeErr, r] = await Promise.all([piped, cmd.result]);
  if (r.exitCode !== 0 || r.canceled) throw failure(`writing ${options.path}`, r, options.runner, options.signal);
  if (pipeErr) throw pipeErr;
  return { ok: true, bytes: c.bytes(), durationMs: Math.round(performance.now() - began) };
}

/**
 * Streams a file on the runner's side into a local writable, with backpressure end to end.
 *
 * @example
 * await copyFromRunner({ runner: ssh, path: "/var/backups/prod.dump", destination: createWriteStream("prod.dump") });
 */
export async function copyFromRunner(options: CopyFromRunnerOptions): Promise<CopyReport> {
  const began = performance.now();
  const cmd = options.runner.spawn(["cat", "--", options.path], { signal: options.signal });
  const c = counter();
  const piped = pipeline(cmd.stdout, c.count, options.destination).catch((e: unknown) => e);
  const [pipeErr, r] = await Promise.all([piped, cmd.result]);
  if (r.exitCode !== 0 || r.canceled) throw failure(`reading ${options.path}`, r, options.runner, options.signal);
  if (pipeErr) throw pipeErr;
  return { ok: true, bytes: c.bytes(), durationMs: Math.round(performance.now() - began) };
}

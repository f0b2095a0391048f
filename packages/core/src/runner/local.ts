import { execa, type ResultPromise } from "execa";
import { existsSync } from "node:fs";
import { PassThrough, Readable, type Writable } from "node:stream";
import { collect, DEFAULT_MAX_BUFFER, TailBuffer } from "./output.js";
import { shellJoin } from "./quote.js";
import { createStopper } from "./stopper.js";
import type { CommandRunner, ExecOptions, ExecResult, RunningCommand, SpawnOptions } from "./types.js";

/** Options of {@link createLocalRunner}. */
export interface LocalRunnerOptions {
  /** Variables added to every command's environment (after this process's own). */
  env?: Record<string, string>;
  /** Default working directory. */
  cwd?: string;
  /** Milliseconds between SIGTERM and SIGKILL when a command is stopped (default 3000). */
  killGraceMs?: number;
}

/**
 * A runner for commands on this host, built on execa. Each command runs in its own process group, so
 * stopping it (timeout, abort, `kill()`) also stops what it started.
 *
 * @example
 * const runner = createLocalRunner();
 * const r = await runner.exec(["pg_dump", "--version"]);
 * console.log(r.exitCode, r.stdout);
 */
export function createLocalRunner(options: LocalRunnerOptions = {}): CommandRunner {
  return {
    kind: "local",
    description: "local",
    async exec(argv, opts: ExecOptions = {}) {
      const cmd = start(argv, opts, options, opts.input);
      const stdout = new TailBuffer(opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
      const [, result] = await Promise.all([collect(cmd.stdout, stdout, opts.onStdoutLine), cmd.result]);
      return { ...result, stdout: stdout.toString(), outputTruncated: result.outputTruncated || stdout.truncated };
    },
    spawn(argv, opts: SpawnOptions = {}) {
      return start(argv, opts, options, opts.stdin ? "pipe" : undefined);
    },
    async close() {},
  };
}

function start(
  argv: readonly string[],
  opts: ExecOptions | SpawnOptions,
  runnerOpts: LocalRunnerOptions,
  input: string | Uint8Array | "pipe" | undefined,
): RunningCommand {
  if (argv.length === 0) throw new Error("empty argv");
  const began = performance.now();
  const command = shellJoin(argv);

  const child: ResultPromise = execa(argv[0]!, argv.slice(1), {
    cwd: opts.cwd ?? runnerOpts.cwd,
    env: { ...runnerOpts.env, ...opts.env },
    extendEnv: true,
    buffer: false,
    reject: false,
    stdin: input === "pipe" ? "pipe" : input === undefined ? "ignore" : "pipe",
    stdout: "pipe",
    stderr: "pipe",
    // Own process group: killing the group stops children too (a shell script's pg_dump, odoo-bin's workers).
    detached: true,
    cleanup: true,
    encoding: "buffer",
  });
  if (input !== undefined && input !== "pipe") child.stdin?.end(input);

  const killGroup = (sig: NodeJS.Signals) => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      try {
        child.kill(sig);
      } catch {
        /* already gone */
      }
    }
  };
  const stopper = createStopper({
    timeout: opts.timeout,
    signal: opts.signal,
    killGraceMs: runnerOpts.killGraceMs ?? 3000,
    send: (sig) => killGroup(sig === "TERM" ? "SIGTERM" : "SIGKILL"),
  });
  stopper.watchSignal();

  const stderr = new TailBuffer(opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
  const stderrDone = collect(child.stderr!, stderr, opts.onStderrLine);

  const result: Promise<ExecResult> = (async () => {
    const r = await child;
    await stderrDone;
    stopper.dispose();
    const enoent = (r as { code?: string }).code === "ENOENT";
    // spawn says ENOENT both for a missing binary and for a missing working directory; tell them apart.
    const cwd = opts.cwd ?? runnerOpts.cwd;
    const badCwd = enoent && cwd !== undefined && !existsSync(cwd);
    const notFound = enoent && !badCwd;
    const stderrText = badCwd
      ? `${stderr.toString()}cannot change to directory ${cwd}: No such file or directory\n`
      : notFound
        ? `${stderr.toString()}${argv[0]}: command not found\n`
        : stderr.toString();
    return {
      command,
      exitCode: badCwd ? 126 : notFound ? 127 : (r.exitCode ?? null),
      stdout: "",
      stderr: stderrText,
      outputTruncated: stderr.truncated,
      durationMs: Math.round(performance.now() - began),
      timedOut: stopper.timedOut,
      canceled: stopper.canceled,
    };
  })();

  // When the binary does not exist execa emits no streams' end in some versions; PassThrough fallbacks keep
  // the contract that stdout/stdin are always usable streams.
  const stdout: Readable = child.stdout ?? Readable.from([]);
  const stdin: Writable = input === "pipe" && child.stdin ? child.stdin : endedWritable();
  // A write to a process that already exited raises EPIPE on stdin; the result tells what happened.
  child.stdin?.on("error", () => {});
  return { stdin, stdout, stderr: child.stderr!, result, kill: stopper.cancel };
}

function endedWritable(): Writable {
  const w = new PassThrough();
  w.end();
  w.resume();
  return w;
}

import type { Readable, Writable } from "node:stream";

/**
 * Options shared by {@link CommandRunner.exec} and {@link CommandRunner.spawn}.
 */
export interface CommandOptions {
  /** Working directory on the runner's side. */
  cwd?: string;
  /** Variables added to the command's environment. Values are secrets: never logged or put in reports. */
  env?: Record<string, string>;
  /** Milliseconds after which the process is killed and the result has `timedOut: true`. */
  timeout?: number;
  /** Aborting kills the process itself (not only the channel) and the result has `canceled: true`. */
  signal?: AbortSignal;
  /** Bytes of each output stream kept in memory, keeping the tail (default 8 MiB). */
  maxBuffer?: number;
  /** Called with each line of stdout (exec only; with spawn, stdout is yours to read). */
  onStdoutLine?: (line: string) => void;
  /** Called with each line of stderr. */
  onStderrLine?: (line: string) => void;
}

/** Options of {@link CommandRunner.exec}. */
export interface ExecOptions extends CommandOptions {
  /** Data written to the command's stdin, which is then closed. Without it stdin is empty. */
  input?: string | Uint8Array;
}

/** Options of {@link CommandRunner.spawn}. */
export interface SpawnOptions extends CommandOptions {
  /** When true, `stdin` of the running command is a writable stream you must end. Default: stdin is empty. */
  stdin?: boolean;
}

/**
 * The outcome of a command. A non-zero exit is data, not an exception.
 *
 * @example
 * const r = await runner.exec(["pg_dump", "--version"]);
 * if (r.exitCode !== 0) throw new Error(r.stderr);
 */
export interface ExecResult {
  /** The command as a display string (argv quoted); never includes env values. */
  command: string;
  /** Exit status; `null` when the process ended by a signal or its status is unknown. 127: command not found. */
  exitCode: number | null;
  /** Collected stdout (exec), or "" for spawn where you read the stream yourself. Tail kept when capped. */
  stdout: string;
  /** Collected stderr, tail kept when capped. */
  stderr: string;
  /** True when an output stream was larger than `maxBuffer` and only its tail was kept. */
  outputTruncated: boolean;
  durationMs: number;
  timedOut: boolean;
  canceled: boolean;
}

/**
 * A command in flight with streaming I/O. `stdout` must be consumed (backpressure applies end to end).
 *
 * @example
 * const cmd = runner.spawn(["pg_dump", "-Fc", "odoo"]);
 * await pipeline(cmd.stdout, createWriteStream("odoo.dump"));
 * const result = await cmd.result;
 */
export interface RunningCommand {
  /** Writable stdin when spawned with `stdin: true`; otherwise already ended. */
  readonly stdin: Writable;
  readonly stdout: Readable;
  /** Stderr as a stream; it is also collected into `result.stderr` and line events, so reading it is optional. */
  readonly stderr: Readable;
  /** Settles when the process has exited and its output streams ended. Never rejects for a non-zero exit. */
  readonly result: Promise<ExecResult>;
  /** Kills the process (as aborting would). */
  kill(): void;
}

/** Where commands run. */
export type RunnerKind = "local" | "docker" | "ssh";

/**
 * One way to run commands, whether on this host, inside a Docker container or on a remote host over SSH.
 * Commands are argv arrays, never shell strings.
 *
 * @example
 * async function pgDumpVersion(runner: CommandRunner) {
 *   return (await runner.exec(["pg_dump", "--version"])).stdout.trim();
 * }
 */
export interface CommandRunner {
  readonly kind: RunnerKind;
  /** Human description of where commands run, without secrets (`local`, `docker:odoo-db`, `ssh:deploy@host:22`). */
  readonly description: string;
  exec(argv: readonly string[], options?: ExecOptions): Promise<ExecResult>;
  spawn(argv: readonly string[], options?: SpawnOptions): RunningCommand;
  /** Releases connections (SSH); a no-op for runners without any. */
  close(): Promise<void>;
}

/**
 * The plumbing shared by runners whose process lives elsewhere (a container, a remote host): the streams a
 * caller sees, timeout and abort handling with a TERM-then-KILL escalation, stderr collection and the result.
 * A transport only has to connect the process to those streams and know how to signal it.
 */
import { PassThrough, type Readable } from "node:stream";
import { collect, DEFAULT_MAX_BUFFER, TailBuffer } from "./output.js";
import { shellJoin } from "./quote.js";
import { createStopper } from "./stopper.js";
import type { ExecOptions, ExecResult, RunningCommand, SpawnOptions } from "./types.js";

/** The caller-facing ends a transport writes the process's output into and reads its input from. */
export interface TransportIo {
  /** Write stdout here respecting backpressure (`write()` → wait for "drain"); the transport ends it. */
  readonly stdout: PassThrough;
  /** Same for stderr. */
  readonly stderr: PassThrough;
  /** The caller's stdin when spawned with `stdin: true`, else `undefined` (the process gets an empty stdin). */
  readonly stdin: Readable | undefined;
}

/** One process on the far side, as a runner's transport drives it. */
export interface Transport {
  /**
   * Starts the process and settles once it has exited and its output was written to (and ended on) `io`.
   * Rejects only when the process could not be run at all (typed core errors).
   */
  run(io: TransportIo): Promise<{ exitCode: number | null }>;
  /** Sends a signal to the process itself (and what it started), not only closing the channel. */
  signal(sig: "TERM" | "KILL"): Promise<void>;
}

/** Runs a command through a transport and returns the caller's handle. @internal */
export function runThroughTransport(argv: readonly string[], opts: SpawnOptions, transport: Transport, killGraceMs: number): RunningCommand {
  const began = performance.now();
  const command = shellJoin(argv);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  if (!opts.stdin) stdin.end();
  // A command that cannot start destroys stdout with the typed error; a caller that awaits `result` before
  // piping stdout must not crash on an unhandled 'error' event (pipelines still see the error).
  stdout.on("error", () => {});
  stdin.on("error", () => {});
  let finished = false;
  const stopper = createStopper({
    timeout: opts.timeout,
    signal: opts.signal,
    killGraceMs,
    send: (sig) => void transport.signal(sig).catch(() => {}),
    finished: () => finished,
  });

  // A reader that stops early (destroys stdout) stops the producer, as SIGPIPE would locally.
  stdout.once("close", () => {
    if (!finished && !stdout.readableEnded) stopper.stop();
  });

  const stderrBuf = new TailBuffer(opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
  const stderrDone = collect(stderr, stderrBuf, opts.onStderrLine);

  const result: Promise<ExecResult> = (async () => {
    try {
      const io: TransportIo = { stdout, stderr, stdin: opts.stdin ? stdin : undefined };
      const ran = transport.run(io);
      // Abort listeners go on once the transport has been asked to start, so a kill has something to aim at.
      stopper.watchSignal();
      const { exitCode } = await ran;
      finished = true;
      if (!stdout.writableEnded) stdout.end();
      if (!stderr.writableEnded) stderr.end();
      await stderrDone;
      return {
        command,
        exitCode,
        stdout: "",
        stderr: stderrBuf.toString(),
        outputTruncated: stderrBuf.truncated,
        durationMs: Math.round(performance.now() - began),
        timedOut: stopper.timedOut,
        canceled: stopper.canceled,
      };
    } catch (e) {
      finished = true;
      stdout.destroy(e as Error);
      stderr.destroy();
      throw e;
    } finally {
      stopper.dispose();
    }
  })();
  // A caller awaiting only the stdout pipeline must not crash the process with an unhandled rejection; the
  // error still reaches whoever awaits `result`.
  result.catch(() => {});
  return { stdin, stdout, stderr, result, kill: stopper.cancel };
}

/**
 * `exec` in terms of `spawn`: writes `input`, collects stdout (tail kept) with line events.
 * @internal
 */
export async function execThroughSpawn(
  spawn: (argv: readonly string[], opts: SpawnOptions) => RunningCommand,
  argv: readonly string[],
  opts: ExecOptions,
): Promise<ExecResult> {
  const { input, ...rest } = opts;
  const cmd = spawn(argv, { ...rest, stdin: input !== undefined });
  if (input !== undefined) {
    cmd.stdin.on("error", () => {});
    cmd.stdin.end(input);
  }
  const out = new TailBuffer(opts.maxBuffer ?? DEFAULT_MAX_BUFFER);
  const [, result] = await Promise.all([collect(cmd.stdout, out, opts.onStdoutLine), cmd.result]);
  return { ...result, stdout: out.toString(), outputTruncated: result.outputTruncated || out.truncated };
}

/** Writes a chunk and waits for "drain" when the destination is full. @internal */
export function writeWithBackpressure(dest: PassThrough, chunk: Buffer): Promise<void> | undefined {
  if (dest.destroyed) return undefined;
  if (dest.write(chunk)) return undefined;
  return new Promise((resolve) => {
    const done = () => {
      dest.off("drain", done);
      dest.off("close", done);
      resolve();
    };
    dest.on("drain", done);
    dest.on("close", done);
  });
}

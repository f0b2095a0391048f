import type { AnyCommand } from "./command.js";
import { runCli } from "./main.js";

/** What an in-process CLI run printed and returned. */
export interface CapturedRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (throws when it is not exactly one JSON document). */
  json<T = Record<string, unknown>>(): T;
}

/**
 * Runs the CLI in-process with captured output, for tests.
 *
 * @example const r = await runCaptured(["status", "--json"], { env: {} }); expect(r.code).toBe(2);
 */
export async function runCaptured(
  argv: string[],
  options: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    signal?: AbortSignal;
    /** Commands to register instead of all of them (a command built around a stand-in library function). */
    commands?: AnyCommand[];
    /** stderr is a terminal of this many columns (progress bars). */
    ttyColumns?: number;
  } = {},
): Promise<CapturedRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, {
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.commands ? { commands: options.commands } : {}),
    io: {
      stdout: { write: (s: string) => (stdout += s) },
      stderr: { write: (s: string) => (stderr += s), ...(options.ttyColumns ? { isTTY: true, columns: options.ttyColumns } : {}) },
      env: options.env ?? {},
      cwd: options.cwd ?? process.cwd(),
    },
  });
  return { code, stdout, stderr, json: <T>() => JSON.parse(stdout) as T };
}

/** Where the CLI reads and writes; real process streams in `bin.ts`, buffers in tests. */
export interface CliIO {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown; isTTY?: boolean; columns?: number };
  /** Standard input, for commands that filter a stream. */
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
  /** Raw stdout stream, for commands whose stdout carries data (the anonymizer's filter). */
  stdoutStream?: NodeJS.WritableStream;
  env: Record<string, string | undefined>;
  cwd: string;
}

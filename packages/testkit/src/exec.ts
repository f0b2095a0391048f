import { execa, type Options } from "execa";

/**
 * Runs a command to completion for harness set-up, throwing with its stderr when it fails.
 *
 * @example await run("git", ["init", dir]);
 */
export async function run(file: string, args: string[], options: Options = {}): Promise<string> {
  const r = await execa(file, args, { reject: false, ...options, encoding: "utf8" });
  if (r.exitCode !== 0 || r.failed) {
    throw new Error(`${file} ${args.join(" ")} failed (exit ${r.exitCode ?? "?"}): ${String(r.stderr ?? r.message).trim()}`);
  }
  return String(r.stdout ?? "");
}

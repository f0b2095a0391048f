/**
 * Running a service-control command through a runner and turning its failure into a typed error.
 */
import { EnvironmentError, OperationFailedError, throwIfAborted } from "../errors.js";
import type { CommandRunner, ExecResult } from "../runner/types.js";
import { redactText } from "../util/redact.js";

/**
 * Runs `argv` through `runner`; a command that cannot be found is the environment's fault (exit 3), one that
 * exits non-zero a failed operation whose stderr tail is in the message and details.
 *
 * @example await runControl(runner, ["systemctl", "stop", "odoo"], "stopping odoo");
 */
export async function runControl(
  runner: CommandRunner,
  argv: readonly string[],
  what: string,
  options: { env?: Record<string, string>; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<ExecResult> {
  throwIfAborted(options.signal);
  const r = await runner.exec(argv, {
    ...(options.env ? { env: options.env } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    timeout: options.timeoutMs ?? 300_000,
  });
  throwIfAborted(options.signal);
  const stderr = redactText(r.stderr.trim()).split("\n").slice(-5).join("\n");
  const details = { command: r.command, exitCode: r.exitCode, stderr };
  if (r.exitCode === 127) throw new EnvironmentError(`${what}: ${argv[0]} not found on ${runner.description}`, { code: "COMMAND_NOT_FOUND", details });
  if (r.exitCode !== 0) {
    const why = r.timedOut ? "timed out" : `exit ${r.exitCode ?? "by signal"}`;
    throw new OperationFailedError(`${what} failed on ${runner.description} (${why})${stderr ? `: ${stderr}` : ""}`, { code: "SERVICE_CONTROL_FAILED", details });
  }
  return r;
}

/** The variables a start (or stop) command gets: the revision and image it is asked to run. */
export function targetEnv(target: { image?: string; revision?: string }): Record<string, string> {
  return {
    ...(target.revision ? { ODOO_DEPLOY_REVISION: target.revision } : {}),
    ...(target.image ? { ODOO_DEPLOY_IMAGE: target.image } : {}),
  };
}

/**
 * Typed errors of @odoo-deploy/core.
 *
 * Every error carries a stable string `code` (for programs), a `category` that the CLI maps to an exit code
 * in one place, and `details` (plain JSON, never secrets). Messages name what failed and on what; full
 * command output belongs in `details`, not in the message.
 */

/**
 * How an error should be treated by callers such as the CLI:
 * - `usage`: the caller asked for something malformed (bad flag, unknown revision) — exit 2;
 * - `config`: configuration is invalid — exit 2;
 * - `environment`: the world is not as needed (database unreachable, command not found) — exit 3;
 * - `failed`: the operation ran and found a problem it cannot report as a not-ok report — exit 1;
 * - `interrupted`: aborted through an AbortSignal — exit 130.
 */
export type ErrorCategory = "usage" | "config" | "environment" | "failed" | "interrupted";

export interface OdooDeployErrorOptions {
  details?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * Base class of every error thrown on purpose by odoo-deploy.
 *
 * @example
 * try { await planDeploy(opts); } catch (e) {
 *   if (e instanceof OdooDeployError && e.category === "usage") console.error(e.message);
 * }
 */
export class OdooDeployError extends Error {
  override readonly name: string = "OdooDeployError";
  readonly details: Record<string, unknown>;

  constructor(
    readonly code: string,
    readonly category: ErrorCategory,
    message: string,
    options: OdooDeployErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.details = options.details ?? {};
  }
}

/** Bad arguments or options given by the caller (exit 2). @example throw new UsageError("--keep-last must be >= 1") */
export class UsageError extends OdooDeployError {
  override readonly name = "UsageError";
  constructor(message: string, options: OdooDeployErrorOptions & { code?: string } = {}) {
    super(options.code ?? "USAGE", "usage", message, options);
  }
}

/** One problem found in configuration, addressed by its dotted path. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Invalid configuration (exit 2). Holds every problem found, so users fix them all in one go.
 *
 * @example throw new ConfigError([{ path: "environments.prod.database.url", message: "expected a string" }])
 */
export class ConfigError extends OdooDeployError {
  override readonly name = "ConfigError";
  constructor(
    readonly issues: ConfigIssue[],
    options: OdooDeployErrorOptions & { source?: string } = {},
  ) {
    const where = options.source ? `${options.source}: ` : "";
    super(
      "CONFIG_INVALID",
      "config",
      `${where}invalid configuration:\n${issues.map((i) => `  ${i.path || "(root)"}: ${i.message}`).join("\n")}`,
      { ...options, details: { ...options.details, issues } },
    );
  }
}

/** The environment is not as required: database unreachable, binary missing, permission denied (exit 3). */
export class EnvironmentError extends OdooDeployError {
  override readonly name = "EnvironmentError";
  constructor(message: string, options: OdooDeployErrorOptions & { code?: string } = {}) {
    super(options.code ?? "ENVIRONMENT", "environment", message, options);
  }
}

/** The operation ran and failed in a way that has no report to carry it (exit 1). */
export class OperationFailedError extends OdooDeployError {
  override readonly name = "OperationFailedError";
  constructor(message: string, options: OdooDeployErrorOptions & { code?: string } = {}) {
    super(options.code ?? "FAILED", "failed", message, options);
  }
}

/** The operation was stopped through its AbortSignal (exit 130). */
export class AbortedError extends OdooDeployError {
  override readonly name = "AbortedError";
  constructor(message = "operation aborted", options: OdooDeployErrorOptions = {}) {
    super("ABORTED", "interrupted", message, options);
  }
}

/** Throws {@link AbortedError} when the signal has fired. @example throwIfAborted(opts.signal) */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError(abortReason(signal));
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error && r.name !== "AbortError") return `operation aborted: ${r.message}`;
  if (typeof r === "string") return `operation aborted: ${r}`;
  return "operation aborted";
}

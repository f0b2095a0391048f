import { OdooDeployError, type ErrorCategory } from "@odoo-deploy/core";

/**
 * Exit codes of odoo-deploy (CONVENTIONS.md). The single place where errors become exit codes.
 *
 * | code | meaning |
 * |---|---|
 * | 0 | ok |
 * | 1 | the command ran and its report is not ok (a check failed, a leak was found, an update failed) |
 * | 2 | usage or configuration error |
 * | 3 | environment error (database unreachable, command not found, permission denied) |
 * | 130 | interrupted |
 */
export const EXIT = {
  OK: 0,
  NOT_OK: 1,
  USAGE: 2,
  ENVIRONMENT: 3,
  INTERRUPTED: 130,
} as const;

const BY_CATEGORY: Record<ErrorCategory, number> = {
  usage: EXIT.USAGE,
  config: EXIT.USAGE,
  environment: EXIT.ENVIRONMENT,
  failed: EXIT.NOT_OK,
  interrupted: EXIT.INTERRUPTED,
};

/** One-line hints shown under an error, by category. */
const HINTS: Partial<Record<ErrorCategory, string>> = {
  usage: "see odoo-deploy <command> --help",
  config: "fix the keys above (the JSON Schema is in packages/cli/odoo-deploy.schema.json)",
};

/** Exit code for an error thrown by a command. Unknown errors are bugs: exit 1 with a stack trace. */
export function exitCodeForError(error: unknown): number {
  if (error instanceof OdooDeployError) return BY_CATEGORY[error.category];
  return EXIT.NOT_OK;
}

/** The hint for an error, if any. */
export function hintForError(error: unknown): string | undefined {
  return error instanceof OdooDeployError ? HINTS[error.category] : undefined;
}

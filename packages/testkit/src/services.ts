/**
 * What to do when a service a test needs (PostgreSQL, sshd, Docker, the shared data) is missing: on a
 * user's machine skip loudly; in CI fail, because a skipped test there would hide a broken install step.
 */

/** True when running in CI (`CI` set to anything but "" / "0" / "false"). */
export function inCI(): boolean {
  const v = process.env.CI;
  return v !== undefined && v !== "" && v !== "0" && v.toLowerCase() !== "false";
}

/** Thrown in CI when a required service is unavailable. */
export class ServiceUnavailableError extends Error {
  override readonly name = "ServiceUnavailableError";
}

const warned = new Set<string>();

/**
 * Reports an unavailable service. In CI it throws; elsewhere it prints a loud warning once per reason and
 * returns the reason, so the caller can skip.
 *
 * @example const why = await pgUnavailableReason(); if (why) { unavailable("PostgreSQL", why); ctx.skip(); }
 */
export function unavailable(service: string, reason: string): string {
  const message = `${service} unavailable: ${reason}`;
  if (inCI()) throw new ServiceUnavailableError(`${message} (CI is set, so this fails instead of skipping)`);
  if (!warned.has(message)) {
    warned.add(message);
    process.stderr.write(`\n!!! SKIPPING tests that need ${service}: ${reason}\n\n`);
  }
  return message;
}

/**
 * True in the fast subset (`npm run test:fast`, `ODOO_DEPLOY_TEST_FAST=1`): the inner loop of a developer, without
 * the tests that need Docker, sshd or the npm registry. Tests are selected by what they ask for: a test using the
 * `docker` or `sshd` fixture is skipped, so a new one is left out without being tagged. Never set in CI.
 *
 * @example test.skipIf(fastSubset())("installs from the registry", async () => { … });
 */
export function fastSubset(): boolean {
  const v = process.env.ODOO_DEPLOY_TEST_FAST;
  return v !== undefined && v !== "" && v !== "0";
}

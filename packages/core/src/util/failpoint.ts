/**
 * Test hook for crash tests: with `ODOO_DEPLOY_FAILPOINT=<name>` in the environment, the process stops at the
 * point of that name (it prints `odoo-deploy failpoint: <name>` on stderr and waits), so a test can kill it
 * there for real, or send it a signal. Without the variable a failpoint costs one comparison.
 */

/**
 * Waits at the failpoint `name` when the environment asks for it, until `signal` aborts (a SIGHUP/SIGTERM test) or
 * forever (a SIGKILL test).
 *
 * @example await failpoint("swap:before-commit", signal);
 */
export async function failpoint(name: string, signal?: AbortSignal): Promise<void> {
  if (process.env.ODOO_DEPLOY_FAILPOINT !== name) return;
  process.stderr.write(`odoo-deploy failpoint: ${name}\n`);
  await new Promise<void>((resolve) => {
    // A referenced timer keeps the process alive while it waits.
    const keepAlive = setInterval(() => {}, 60_000);
    const done = () => {
      clearInterval(keepAlive);
      resolve();
    };
    if (signal?.aborted) done();
    else signal?.addEventListener("abort", done, { once: true });
  });
}

/**
 * Modules loaded only by the commands that need them: the anonymizer pulls in faker's locale data (~300 ms and
 * ~40 MiB at start-up), which `status`, `migrate` or a 2 a.m. `restore` should not pay for.
 */
export const anonymizer = () => import("@odoo-deploy/anonymizer");

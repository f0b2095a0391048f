import { LAB_DUMP, sharedPath } from "./shared.js";
import { restoreDump, startPostgres, type PgCluster } from "./postgres.js";
import { sshdUnavailableReason, startSshd, type Sshd, type SshdInfo } from "./sshd.js";

/** Name of the template database holding the restored real Odoo 16 dump. */
export const LAB_TEMPLATE_DB = "odoo16_lab_template";

/**
 * Vitest global set-up: one throwaway PostgreSQL cluster per test run, shared by every test file through
 * `ODOO_DEPLOY_TEST_PG`; the real Odoo dump restored once into {@link LAB_TEMPLATE_DB}. A missing service is
 * recorded (not thrown) so each test can decide to skip or, in CI, fail.
 */
export default async function setup(): Promise<() => Promise<void>> {
  let cluster: PgCluster | undefined;
  try {
    cluster = await startPostgres();
    process.env.ODOO_DEPLOY_TEST_PG = JSON.stringify({
      socketDir: cluster.socketDir,
      port: cluster.port,
      binDir: cluster.binDir,
    });
  } catch (e) {
    process.env.ODOO_DEPLOY_TEST_PG_UNAVAILABLE = e instanceof Error ? e.message : String(e);
  }
  const dump = sharedPath(LAB_DUMP);
  if (cluster && dump) {
    try {
      await restoreDump(cluster, dump, LAB_TEMPLATE_DB);
      process.env.ODOO_DEPLOY_TEST_LAB_DB = LAB_TEMPLATE_DB;
    } catch (e) {
      process.env.ODOO_DEPLOY_TEST_LAB_DB_UNAVAILABLE = `restoring ${dump} failed: ${e instanceof Error ? e.message : String(e)}`;
    }
  } else if (cluster) {
    process.env.ODOO_DEPLOY_TEST_LAB_DB_UNAVAILABLE = `shared data not found (${LAB_DUMP}); set ODOO_DEPLOY_SHARED`;
  }
  // Runners: one loopback sshd per run, its facts passed to test files like the cluster's.
  let sshd: Sshd | undefined;
  const noSshd = sshdUnavailableReason();
  if (noSshd) process.env.ODOO_DEPLOY_TEST_SSHD_UNAVAILABLE = noSshd;
  else {
    try {
      sshd = await startSshd();
      const { stop: _stop, ...info } = sshd;
      process.env.ODOO_DEPLOY_TEST_SSHD = JSON.stringify(info satisfies SshdInfo);
    } catch (e) {
      process.env.ODOO_DEPLOY_TEST_SSHD_UNAVAILABLE = e instanceof Error ? e.message : String(e);
    }
  }
  return async () => {
    await sshd?.stop();
    await cluster?.stop();
  };
}

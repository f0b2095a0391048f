import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { LAB_VERSIONS, labDump, sharedPath, type LabVersion } from "./shared.js";
import { restoreDump, startPostgres, type PgCluster } from "./postgres.js";
import { fastSubset } from "./services.js";
import { sshdUnavailableReason, startSshd, type Sshd, type SshdInfo } from "./sshd.js";

/** Name of the template database holding the restored real Odoo 16 dump. */
export const LAB_TEMPLATE_DB = "odoo16_lab_template";

/** Name of the template database holding the restored real dump of a series (`odoo17_lab_template`). */
export function labTemplateDb(version: LabVersion): string {
  return version === "16.0" ? LAB_TEMPLATE_DB : `odoo${version.split(".")[0]}_lab_template`;
}

/** What the global set-up restored, per series, as passed to test files in `ODOO_DEPLOY_TEST_LABS`. */
export type LabTemplates = Partial<Record<LabVersion, { db: string } | { unavailable: string }>>;

/**
 * Vitest global set-up: one throwaway PostgreSQL cluster per test run, shared by every test file through
 * `ODOO_DEPLOY_TEST_PG`; the real Odoo 16, 17 and 18 dumps restored once, side by side, into
 * {@link labTemplateDb} templates. A missing service is recorded (not thrown) so each test can decide to skip or,
 * in CI, fail.
 */
export default async function setup(): Promise<() => Promise<void>> {
  // Swap journals and other state of the run stay out of the user's ~/.local/state.
  const stateDir = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-state-"));
  process.env.ODOO_DEPLOY_STATE_DIR = stateDir;
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
  // The restores and sshd's start are independent: they overlap (pg_restore is the long part).
  const labs: LabTemplates = {};
  const restores = LAB_VERSIONS.map(async (version) => {
    const dump = sharedPath(labDump(version));
    if (!cluster) return;
    if (!dump) {
      labs[version] = { unavailable: `shared data not found (${labDump(version)}); set ODOO_DEPLOY_SHARED` };
      return;
    }
    try {
      await restoreDump(cluster, dump, labTemplateDb(version));
      labs[version] = { db: labTemplateDb(version) };
    } catch (e) {
      labs[version] = { unavailable: `restoring ${dump} failed: ${e instanceof Error ? e.message : String(e)}` };
    }
  });
  // Runners: one loopback sshd per run, its facts passed to test files like the cluster's.
  let sshd: Sshd | undefined;
  const noSshd = fastSubset() ? "not started in the fast subset" : sshdUnavailableReason();
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
  await Promise.all(restores);
  process.env.ODOO_DEPLOY_TEST_LABS = JSON.stringify(labs);
  return async () => {
    await sshd?.stop();
    await cluster?.stop();
    rmSync(stateDir, { recursive: true, force: true });
  };
}

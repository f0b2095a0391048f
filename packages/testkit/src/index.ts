/**
 * @odoo-deploy/testkit (private) — real services for tests: throwaway PostgreSQL, temp git repositories,
 * loopback sshd, local Docker images, the shared Odoo lab data. Vitest fixtures live in
 * `@odoo-deploy/testkit/vitest`.
 *
 * @example
 * import { startPostgres } from "@odoo-deploy/testkit";
 * const pg = await startPostgres();
 * await pg.createDatabase("demo");
 */
export { startPostgres, findPgBinDir, freePort, clusterFromEnv, restoreDump, type PgCluster, type PgClusterInfo, type StartPostgresOptions } from "./postgres.js";
export { createTempGitRepo, addSubmodule, cloneRepo, type TempGitRepo } from "./git.js";
export { sharedDir, sharedPath, repoRoot, LAB_DUMP, LAB_FILESTORE, LAB_LOGS, LAB_VERSIONS, labDir, labDump, type LabVersion } from "./shared.js";
export { inCI, fastSubset, unavailable, ServiceUnavailableError } from "./services.js";
export { run } from "./exec.js";
export { LAB_TEMPLATE_DB, labTemplateDb, type LabTemplates } from "./global-setup.js";
// Runners' harness: loopback sshd and registry-free Docker images
export { startSshd, sshdFromEnv, sshdUnavailableReason, SSHD_TEST_USER, SSHD_TEST_PASSWORD, type Sshd, type SshdInfo } from "./sshd.js";
export { dockerAvailable, buildImage, nodeImage, dockerRun, startTestContainer, IMAGE_HASH_LABEL, IMAGE_USER, type BuildImageOptions, type TestContainer } from "./docker.js";
export { createOdooDemoDatabase, type OdooDemoOptions } from "./demo/create-demo.js";
export { odooDemoSql, DEMO_MODULES } from "./demo/odoo-demo-schema.js";
// Odoo test double (issue 6, part A)
export { odooDoubleArgv, odooDoubleScriptPath, ODOO_DOUBLE_FIXTURE_ADDONS } from "./odoo-double/build.js";
export { createOdooAddonsDir, writeOdooConfig, type OdooAddonsDir, type LabDemoVariant, type FixtureSeries, type OdooConfigOptions } from "./odoo-double/fixtures.js";
export { startOdooDouble, type OdooDoubleServer, type OdooDoubleFault, type StartOdooDoubleOptions } from "./odoo-double/server.js";
export { createServiceDouble, type ServiceDouble } from "./service-double.js";
export { odooDoubleImage, odooImageServerArgv, ODOO_IMAGE_PATHS } from "./odoo-double/image.js";
// Python's ast.literal_eval as an oracle (issue 22: manifests)
export { pythonLiteralEval, python3UnavailableReason, canonicalLiteral, sameCanonical, type LiteralInput, type LiteralOutcome, type Canonical, type LiteralLike } from "./python-literal.js";

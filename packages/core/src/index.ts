/**
 * @odoo-deploy/core — typed primitives for shipping Odoo safely.
 *
 * @example
 * import { inspectDatabase } from "@odoo-deploy/core";
 * const report = await inspectDatabase({ dbUrl: "postgres:///odoo?host=/run/postgresql" });
 * console.log(report.odooVersion, report.moduleStates);
 */

// Errors, report shapes, utilities and PostgreSQL connections (also importable alone as @odoo-deploy/core/base)
export * from "./base.js";

// Odoo database helpers
export {
  DEPLOYED_REVISION_KEY,
  INSTALLED_CHECKSUMS_KEY,
  getConfigParameter,
  setConfigParameter,
} from "./db/odoo-params.js";
export {
  inspectDatabase,
  type InspectDatabaseOptions,
  type InspectReport,
  type InspectEvent,
  type ModuleStateCounts,
} from "./db/inspect.js";

// Runners
export type {
  CommandRunner,
  CommandOptions,
  ExecOptions,
  SpawnOptions,
  ExecResult,
  RunningCommand,
  RunnerKind,
} from "./runner/types.js";
export { createLocalRunner, type LocalRunnerOptions } from "./runner/local.js";
export { shellQuote, shellJoin, shellCommand } from "./runner/quote.js";
// Runners: Docker, SSH, container lifecycle, stream copies (issue 3)
export { createDockerRunner, parseEnvFile, type DockerRunnerOptions, type DockerMount } from "./runner/docker.js";
export { dockerClient, parseDockerHost, type DockerConnection } from "./runner/docker-client.js";
export { createRunner, type RunnerSpec } from "./runner/create.js";
export {
  inspectContainer,
  stopContainer,
  startContainer,
  restartContainer,
  findComposeContainer,
  findComposeContainers,
  type ContainerOptions,
  type ContainerInfo,
  type FindComposeOptions,
} from "./runner/docker-containers.js";
export { createSshRunner, type SshRunner, type SshRunnerOptions, type HostKeyPolicy, type TransferOptions } from "./runner/ssh.js";
export { checkKnownHosts, checkPinnedFingerprint, hostKeyFingerprint, type HostKeyVerdict } from "./runner/known-hosts.js";
export { copyToRunner, copyFromRunner, type CopyReport, type CopyToRunnerOptions, type CopyFromRunnerOptions } from "./runner/copy.js";

// Addons and deploy planning (issue 4)
export {
  parseManifest,
  parsePythonLiteral,
  ManifestSyntaxError,
  type AddonManifest,
  type PyValue,
} from "./addons/manifest.js";
export { discoverAddons, MANIFEST_NAMES, type AddonInfo, type DiscoverAddonsOptions } from "./addons/discover.js";
export { findCycles, topologicalOrder, closure } from "./addons/graph.js";
export {
  computeAddonChecksum,
  listChecksumFiles,
  readChecksumSettings,
  readInstalledChecksums,
  recordInstalledChecksums,
  fnmatchToRegExp,
  DEFAULT_CHECKSUM_EXCLUDE_PATTERNS,
  EXCLUDE_PATTERNS_KEY,
  type AddonChecksumOptions,
  type ChecksumSettings,
  type RecordInstalledChecksumsOptions,
} from "./addons/checksum.js";
export {
  classifyChanges,
  globToRegExp,
  DEFAULT_CLASSIFICATION_RULES,
  type ChangeEffect,
  type ClassificationRule,
  type ModuleClassification,
} from "./plan/classify.js";
export {
  planDeploy,
  type PlanDeployOptions,
  type DeployPlan,
  type PlannedModule,
  type PlanAction,
  type PlanEvent,
} from "./plan/plan-deploy.js";

// Backups and restores (issue 5)
export {
  backupDatabase,
  type BackupDatabaseOptions,
} from "./backup/backup.js";
export {
  verifyBackup,
  compareRowCounts,
  type VerifyBackupOptions,
} from "./backup/verify.js";
export { restoreDatabase, type RestoreDatabaseOptions, type RestoreReport } from "./backup/restore.js";
export { listBackups, type ListBackupsOptions, type ListBackupsReport, type BackupListEntry } from "./backup/list.js";
export { pruneBackups, type PruneBackupsOptions, type PruneReport } from "./backup/prune.js";
export { locateBackup, readManifest, MANIFEST_FILE, DUMP_FILE, FILESTORE_FILE, type LocatedBackup } from "./backup/manifest.js";
export { parsePgToolVersion, assertPgDumpFits, serverMajor, type PgToolVersion } from "./backup/pg-tools.js";
export { countAllRows, odooManifestFields } from "./backup/snapshot.js";
export { REQUIRED_ODOO_TABLES } from "./backup/dump-scan.js";
export type {
  BackupFormat,
  VerifyLevel,
  BackupManifest,
  OdooDeployManifest,
  BackupFileEntry,
  VerificationRecord,
  BackupEvent,
  RestoreEvent,
  BackupReport,
  VerifyReport,
} from "./backup/types.js";
export {
  swapDatabase,
  renameDatabase,
  databaseExists,
  asideDatabaseName,
  fitDatabaseName,
  MAX_IDENTIFIER_BYTES,
  type SwapDatabaseOptions,
  type SwapResult,
  type RenameDatabaseOptions,
} from "./db/swap.js";

// Migrate: odoo-bin updates verified by exit code, log and database (issue 6)
export {
  migrateModules,
  type MigrateModulesOptions,
  type MigrateReport,
  type MigrateEvent,
} from "./migrate/migrate.js";
export { buildOdooUpdateArgv, type OdooUpdateCommandOptions } from "./migrate/command.js";
export {
  parseOdooLogLine,
  parseOdooLog,
  OdooLogParser,
  type OdooLogRecord,
  type OdooLogLevel,
  type OdooException,
} from "./migrate/log-parser.js";
export {
  analyzeOdooLog,
  classifyRecord,
  OdooLogAnalyzer,
  type OdooLogFinding,
  type OdooLogFindingKind,
  type OdooLogSummary,
  type OdooModuleProgress,
  type OdooLogSignal,
} from "./migrate/log-analysis.js";
export {
  verifyModules,
  checkModules,
  manifestVersionsFor,
  PENDING_MODULE_STATES,
  type VerifyModulesOptions,
  type VerifyModulesReport,
  type VerifiedModule,
  type ModuleChecks,
  type CheckModulesInput,
} from "./migrate/verify.js";
export { adaptVersion, seriesOf } from "./migrate/versions.js";
export {
  clickOdooUpdateLockKey,
  acquireUpdateLock,
  releaseUpdateLock,
  type AcquireUpdateLockOptions,
  type AcquireUpdateLockResult,
  type LockHolder,
} from "./migrate/lock.js";
export { otherSessions, describeSessions, OWN_APPLICATION_PREFIX, type OtherSession } from "./migrate/sessions.js";

// Health and neutralize (issue 6, part A)
export { waitForHealthy, type WaitForHealthyOptions, type HealthEvent, type HealthReport } from "./health/index.js";
export { neutralizeDatabase, type NeutralizeDatabaseOptions, type NeutralizeEvent, type NeutralizeReport } from "./neutralize/index.js";

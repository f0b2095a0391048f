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
  DEPLOYED_IMAGE_KEY,
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

// Which database a URL reaches, decided by the servers (issue 22)
export {
  databaseIdentity,
  assertDistinctDatabases,
  type DatabaseIdentity,
  type ServerIdentity,
  type IdentityOptions,
  type DistinctDatabasesOptions,
  type DistinctDatabases,
  type SameServerEvidence,
} from "./db/identity.js";
// Temporary databases and work directories that killed runs cannot leave behind for good (issue 22)
export {
  createTemporaryDatabase,
  removeLeftoverDatabases,
  type TemporaryDatabase,
  type TemporaryDatabaseOptions,
  type TemporaryDatabaseMarker,
  type RemoveLeftoverDatabasesOptions,
  type LeftoverDatabases,
} from "./db/temporary.js";
export { createWorkDir, removeLeftoverWorkDirs, WORK_DIR_OWNER_FILE, type WorkDir, type LeftoverWorkDirs } from "./util/work-dir.js";
export { currentOwner, ownerMayBeRunning, type ProcessOwner } from "./util/process-owner.js";

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
  manifestText,
  toPyValue,
  parsePythonLiteral,
  ManifestSyntaxError,
  type AddonManifest,
  type PyValue,
} from "./addons/manifest.js";
export { readPythonLiteral, pyEquals, MAX_NESTING, type PyLiteral } from "./addons/python-literal.js";
export { discoverAddons, MANIFEST_NAMES, type AddonInfo, type DiscoverAddonsOptions, type UnreadableAddon } from "./addons/discover.js";
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
  type GlobOptions,
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
export { locateBackup, readManifest, isPlainFileName, MANIFEST_FILE, DUMP_FILE, FILESTORE_FILE, type LocatedBackup } from "./backup/manifest.js";
export { parsePgToolVersion, assertPgDumpFits, serverMajor, runPgTool, toolFailure, type PgToolVersion, type RunPgToolOptions } from "./backup/pg-tools.js";
export { openDumpSnapshot, type DumpSnapshot, type SnapshotTable } from "./backup/snapshot.js";
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
  inRenameTransaction,
  serverIdentity,
  MAX_IDENTIFIER_BYTES,
  type SwapDatabaseOptions,
  type SwapResult,
  type RenameDatabaseOptions,
  type RenameTransactionOptions,
} from "./db/swap.js";
// A database and its filestore swapped recoverably (journal, crash recovery) — issue 22
export {
  prepareSwap,
  recoverSwaps,
  defaultJournalDir,
  type PrepareSwapOptions,
  type PreparedSwap,
  type SwapCommitOptions,
  type SwapCommitResult,
  type SwapJournal,
  type RecoverSwapsOptions,
  type RecoverSwapsReport,
  type RecoveredSwap,
  type SwapRecoveryEvent,
} from "./db/recoverable-swap.js";
export { newRunId, isRunId, compactTimestamp } from "./util/run-id.js";
export { atomicWriteJson, pathExists } from "./util/durable-files.js";
export { typedFsError } from "./backup/files.js";
export { filestorePerms, FilestoreEntries, type FilestorePerms, type FilestoreContents } from "./backup/filestore.js";
// Reading backups' parts without restoring them (the anonymizer's backup source, issue 19)
export { extractFilestoreTar, type FilestoreWriterOptions } from "./backup/filestore.js";
export { openZip, extractFilestoreZip, readZipManifest, ZIP_DUMP, ZIP_MANIFEST, ZIP_FILESTORE_PREFIX, type OpenZip } from "./backup/zip.js";

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
  deployLockKey,
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

// Service control: Docker container, Compose service, systemd unit, commands (issue 18)
export type { ServiceControl, ServiceKind, ServiceState, ServiceTarget } from "./service/types.js";
export { createServiceControl, type ServiceSpec } from "./service/create.js";
export { createDockerService, DockerService, type DockerServiceOptions } from "./service/docker.js";
export { createComposeService, type ComposeServiceOptions } from "./service/compose.js";
export { createSystemdService, type SystemdServiceOptions } from "./service/systemd.js";
export { createCommandsService, type CommandsServiceOptions } from "./service/commands.js";

// Deploy and rollback (issue 18)
export { deployOdoo } from "./deploy/deploy-odoo.js";
export { rollbackDeploy } from "./rollback/rollback-deploy.js";
export { listDeploys, type ListDeploysOptions, type ListDeploysReport, type DeployListEntry } from "./deploy/list.js";
export { DeployJournal, journalDir, newDeployId, deployNames, type DeployJournalEntry, type DeployStatus, type DeployedCode, type RollbackPointRecord } from "./deploy/journal.js";
export { rowsWrittenSince, describeRowsWritten, type RowsWritten } from "./rollback/data-since.js";
export { notify, type NotifyOutcome } from "./deploy/notify.js";
export type { DeployOdooOptions, DeployTargetOptions, DeployReport, DeployEvent, DryRunStep, RollbackDeployOptions, RollbackReport } from "./deploy/types.js";
export {
  createRollbackPoint,
  restoreRollbackPointDatabase,
  restoreRollbackPointFilestore,
  cloneAvailability,
  dropDeployDatabase,
  type FilestoreLocation,
  type RollbackPointOptions,
  type RestoreRollbackPointOptions,
} from "./deploy/rollback-point.js";
export { checkServiceHealth, type ServiceHealthOptions } from "./deploy/health.js";
export { FilestoreOps, siblingFilestore } from "./deploy/filestore-ops.js";
export { acquireDeployLock, type DeployLock } from "./deploy/lock.js";
// Every event of the package, as one union keyed by `type`
export type { CoreEvent } from "./events.js";

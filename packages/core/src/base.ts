/**
 * @odoo-deploy/core/base — the part of core without command runners: errors, report shapes, redaction,
 * durations and PostgreSQL connections. Importing it does not load execa, dockerode or ssh2 (about 40 MB of
 * memory per thread), which matters to code that runs in worker threads, such as the anonymizer's copy workers.
 * The same classes as `@odoo-deploy/core` (one shared module), so `instanceof` works across both.
 *
 * @example
 * import { connect, OperationFailedError } from "@odoo-deploy/core/base";
 * const client = await connect("postgres:///odoo?host=/run/postgresql");
 */
export {
  OdooDeployError,
  UsageError,
  ConfigError,
  EnvironmentError,
  OperationFailedError,
  AbortedError,
  throwIfAborted,
  type ErrorCategory,
  type ConfigIssue,
  type OdooDeployErrorOptions,
} from "./errors.js";
export { timedCheck, durationSince, type Check, type CheckStatus, type ReportBase, type EventBase, type EventHandler } from "./report.js";
export { StepRecorder, type StepEvent, type StepFailure, type StepOutcome, type StepRecorderOptions } from "./steps.js";
export { Redactor, redactText, redactUrl } from "./util/redact.js";
export { parseDuration, formatDuration, formatBytes } from "./util/duration.js";
export { globToRegExp, type GlobOptions } from "./plan/classify.js";
export {
  connect,
  clientConfig,
  withClient,
  translatePgError,
  typedQueryError,
  parseDbUrl,
  withDatabase,
  libpqEnv,
  conninfoDatabase,
  quoteIdent,
  quoteLiteral,
  type Queryable,
  type ConnectOptions,
  type DbUrlParts,
} from "./db/connection.js";
export { describeStatement, type DescribedStatement } from "./db/statement.js";

import { z } from "zod";

/** A duration with a unit (`30s`, `5m`) or milliseconds. */
const duration = z
  .union([z.string().regex(/^(\d+(\.\d+)?(ms|s|m|h|d))+$|^\d+$/, "expected a duration such as 500ms, 30s, 5m"), z.number().nonnegative()])
  .describe("A duration: 500ms, 30s, 5m, 1h, or milliseconds");

/** How to reach the host or container where commands run (SSH). */
export const sshSchema = z
  .object({
    host: z.string().min(1).describe("Host name or address"),
    port: z.number().int().min(1).max(65535).optional().describe("SSH port (default 22)"),
    user: z.string().min(1).describe("Remote user"),
    privateKeyPath: z.string().optional().describe("Private key file"),
    passphrase: z.string().optional().describe("Passphrase of the private key (use ${VAR})"),
    password: z.string().optional().describe("Password (use ${VAR}); prefer keys"),
    agent: z.string().optional().describe("ssh-agent socket (default SSH_AUTH_SOCK)"),
    knownHostsPath: z.string().optional().describe("known_hosts file to verify the host key against (default ~/.ssh/known_hosts)"),
    hostKeyFingerprint: z.string().optional().describe("Pinned host key fingerprint, SHA256:…"),
    allowUnknownHostKey: z.boolean().optional().describe("Accept a host key that is not known (unsafe)"),
  })
  .strict();

/** How to reach Docker and which container to use. */
export const dockerSchema = z
  .object({
    host: z.string().optional().describe("Docker engine (default DOCKER_HOST or the local socket)"),
    container: z.string().optional().describe("Running container name or id"),
    composeProject: z.string().optional().describe("Compose project, to find the container by its labels"),
    composeService: z.string().optional().describe("Compose service, to find the container by its labels"),
    network: z.string().optional().describe("Network for one-off containers"),
    envFile: z.string().optional().describe("Env file for one-off containers"),
    user: z.string().optional().describe("User inside the container"),
  })
  .strict();

const runnerKind = z.enum(["local", "docker", "ssh"]).describe("Where commands run");

export const databaseSchema = z
  .object({
    url: z.string().optional().describe("PostgreSQL URL of the Odoo database (use ${VAR} for the password)"),
    name: z.string().optional().describe("Odoo database name"),
    runner: runnerKind.optional().describe("Where PostgreSQL tools (pg_dump, psql) run (default local)"),
    docker: dockerSchema.optional(),
    ssh: sshSchema.optional(),
  })
  .strict();

export const odooSchema = z
  .object({
    runner: runnerKind.optional().describe("Where odoo-bin runs (default local)"),
    docker: dockerSchema.optional(),
    ssh: sshSchema.optional(),
    odooBin: z.string().optional().describe("odoo-bin to run (default odoo-bin on PATH)"),
    image: z.string().optional().describe("Odoo image for one-off update containers"),
    configPath: z.string().optional().describe("Odoo's own config file, as the Odoo host sees it"),
    addonsPath: z.string().optional().describe("Addons path as the Odoo host sees it (comma-separated)"),
    dataDir: z.string().optional().describe("Odoo data_dir, holding filestore/<db>"),
  })
  .strict();

export const repoSchema = z
  .object({
    root: z.string().optional().describe("Repository root (default .)"),
    addonsPaths: z.array(z.string()).optional().describe("Addons paths inside the repository, as planning sees them"),
    odooAddonsPaths: z.array(z.string()).optional().describe("Odoo's own addons, to tell external dependencies from missing ones"),
    install: z.array(z.string()).optional().describe("Modules to install even if nothing requires them"),
    classification: z
      .array(
        z
          .object({
            pattern: z.string().min(1).describe("Glob on the path inside the module: * within a segment, ** across segments (README*, doc/**, **/*.md)"),
            action: z.enum(["unchanged", "assets", "i18n", "update"]).describe("What a change to a matching file means for the module"),
          })
          .strict(),
      )
      .optional()
      .describe("Change classification rules tried before the built-in ones; the first match wins"),
  })
  .strict();

export const backupsSchema = z
  .object({
    directory: z.string().optional().describe("Where backups are published"),
    format: z.enum(["custom", "zip"]).optional().describe("custom (pg_dump -Fc + filestore tar) or Odoo's zip"),
    filestoreDir: z.string().optional().describe("The database's filestore directory (<data_dir>/filestore/<db>)"),
    retention: z
      .object({
        keepLast: z.number().int().min(1).optional(),
        keepDays: z.number().int().min(0).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();

export const healthSchema = z
  .object({
    url: z.string().url().optional().describe("Base URL of the Odoo server"),
    timeout: duration.optional(),
    dbName: z.string().optional().describe("Database whose login page must load"),
  })
  .strict();

export const anonymizeSchema = z
  .object({
    rules: z.string().optional().describe("Rules file (YAML)"),
    preset: z.enum(["odoo"]).optional(),
    secretEnv: z.string().optional().describe("Environment variable holding the anonymization secret"),
    jobs: z.number().int().min(1).optional(),
  })
  .strict();

/** How the Odoo service is stopped and started (exactly one kind: container, Compose service, systemd unit, or commands). */
export const serviceSchema = z
  .object({
    container: z.string().min(1).optional().describe("Docker container running Odoo (on docker.host of odoo, or the local engine)"),
    composeService: z.string().min(1).optional().describe("Compose service running Odoo (docker compose through odoo.runner)"),
    composeProject: z.string().optional().describe("Compose project name (-p)"),
    composeFiles: z.array(z.string()).optional().describe("Compose files (-f), as odoo.runner's host sees them"),
    composeCommand: z.array(z.string()).optional().describe('The compose command (default ["docker", "compose"]; ["docker-compose"] for v1)'),
    imageVariable: z.string().optional().describe("Variable the compose file takes the image from (default ODOO_DEPLOY_IMAGE)"),
    systemdUnit: z.string().min(1).optional().describe("systemd unit running Odoo (systemctl through odoo.runner)"),
    sudo: z.boolean().optional().describe("Run systemctl with sudo -n"),
    systemctl: z.string().optional().describe("systemctl to run (default systemctl)"),
    stopCommand: z.string().min(1).optional().describe("Shell command stopping every part of Odoo (run through odoo.runner)"),
    startCommand: z.string().min(1).optional().describe("Shell command starting Odoo on $ODOO_DEPLOY_REVISION / $ODOO_DEPLOY_IMAGE"),
    statusCommand: z.string().optional().describe("Shell command exiting 0 when Odoo runs"),
    stopTimeout: duration.optional().describe("Grace before a container is killed when stopped (default 30s)"),
    pull: z.enum(["missing", "always", "never"]).optional().describe("When the new image is pulled before anything stops (default missing)"),
  })
  .strict();

export const deploySchema = z
  .object({
    service: serviceSchema.optional(),
    smoke: z.array(z.string()).optional().describe("Paths that must answer 200 once healthy (/web/login, /shop)"),
    keepRollbackPoints: z.number().int().min(1).optional().describe("Rollback points kept after a good deploy (default 1)"),
    notifyUrl: z.string().url().optional().describe("POST the outcome as JSON to this URL"),
    backup: z.enum(["auto", "always"]).optional().describe("auto: back up only when something is migrated (default); always"),
    filestoreOn: z.enum(["local", "database", "odoo"]).optional().describe("Where backups.filestoreDir is: this host (default), database.runner's or odoo.runner's host"),
  })
  .strict();

/**
 * The staging refresh (`odoo-deploy refresh-staging`). Self-contained on purpose: the database it replaces, the
 * service it stops and the URL it checks are named here, never taken from `database`, `deploy.service` or
 * `health` — run from the production environment, those would name production. What it does share with the
 * environment: `odoo.runner` (where the service commands and odoo-bin neutralize run) and, as defaults, the
 * rules of `anonymize` and `odoo.odooBin` / `odoo.configPath`.
 */
export const stagingSchema = z
  .object({
    sourceUrl: z.string().min(1).optional().describe("PostgreSQL URL of the production database, read on one snapshot (use ${VAR} for the password); or fromBackup"),
    fromBackup: z.string().min(1).optional().describe("A backup (custom format, Odoo zip, or an odoo-deploy backup directory), or a directory of backups (the newest verified one); or sourceUrl"),
    targetUrl: z.string().min(1).optional().describe("PostgreSQL URL of the staging database to replace (the new copy is built beside it)"),
    preset: z.enum(["odoo"]).optional().describe("Rules preset (default: anonymize.preset)"),
    rules: z.string().optional().describe("Rules file (YAML; default: anonymize.rules)"),
    secretEnv: z.string().optional().describe("Environment variable holding the anonymization secret (default: anonymize.secretEnv, else ODOO_DEPLOY_ANONYMIZE_SECRET)"),
    jobs: z.number().int().min(1).optional().describe("Parallel COPY streams of a live copy (default: anonymize.jobs, else one per core, at most 8)"),
    baseUrl: z.string().url().optional().describe("web.base.url of the new staging (frozen), and the URL the report gives"),
    ribbon: z.string().optional().describe("Ribbon / banner text shown on staging"),
    filestore: z.enum(["none", "placeholders", "public", "all"]).optional().describe("Filestore policy (default placeholders): none, placeholders (each referenced file replaced by a blank one of its type), public (public and product/website images copied, the rest placeholders), all"),
    sourceFilestore: z.string().optional().describe("Production's filestore (<data_dir>/filestore/<db>) as this host sees it, for the public and all policies"),
    targetFilestore: z.string().optional().describe("The staging filestore (<data_dir>/filestore/<staging db>); without it files are not touched"),
    targetFilestoreOn: z.enum(["local", "odoo"]).optional().describe("Where targetFilestore is: this host (default) or odoo.runner's host"),
    postSql: z.string().optional().describe("SQL file run in one transaction on the new copy after neutralization; its failure stops the refresh"),
    canaries: z.array(z.string().min(1)).optional().describe("Values that must not be found anywhere in the new staging (leak scan)"),
    keep: z.number().int().min(0).optional().describe("Replaced stagings kept aside (<db>_before_<id>, with their filestores), newest first (default 1)"),
    leakScanRows: z.number().int().min(0).optional().describe("Rows of each source table whose values the leak scan searches (default 20000; 0: every distinct value)"),
    service: serviceSchema.optional().describe("How the staging Odoo is stopped and started (not deploy.service: named here so a refresh never stops another environment's service)"),
    odooBin: z.string().optional().describe("odoo-bin of the staging Odoo, for neutralize (default: odoo.odooBin)"),
    odooConfig: z.string().optional().describe("The staging Odoo's config file, as its host sees it (default: odoo.configPath)"),
    healthUrl: z.string().url().optional().describe("Base URL of the staging server, checked (database-aware) after the swap; without it health is skipped"),
    healthTimeout: duration.optional().describe("How long to wait for staging to be healthy (default 2m)"),
    notifyUrl: z.string().url().optional().describe("POST the outcome as JSON to this URL when done (retried; never fails the run)"),
    lockTimeout: duration.optional().describe("How long to wait for another refresh of the same staging (default 0: refuse at once)"),
  })
  .strict();

/** One environment (prod, staging, …). */
export const environmentSchema = z
  .object({
    database: databaseSchema.optional(),
    odoo: odooSchema.optional(),
    repo: repoSchema.optional(),
    backups: backupsSchema.optional(),
    health: healthSchema.optional(),
    anonymize: anonymizeSchema.optional(),
    deploy: deploySchema.optional(),
    staging: stagingSchema.optional(),
  })
  .strict();

/** The whole odoo-deploy.yaml. */
export const configFileSchema = z
  .object({
    $schema: z.string().optional(),
    version: z.literal(1).describe("Config format version"),
    defaultEnvironment: z.string().optional().describe("Environment used when --env is not given"),
    environments: z.record(z.string(), environmentSchema).describe("Named environments"),
  })
  .strict();

/** The config file as written (input). */
export type ConfigFileInput = z.input<typeof configFileSchema>;
/** The config file as validated. */
export type ConfigFile = z.output<typeof configFileSchema>;
/** Settings of one environment after merging defaults, file, environment variables and flags. */
export type Settings = z.output<typeof environmentSchema>;

/**
 * The JSON Schema of odoo-deploy.yaml, generated from the same schema that validates it.
 *
 * @example writeFileSync("odoo-deploy.schema.json", JSON.stringify(configJsonSchema(), null, 2));
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(configFileSchema, { io: "input" }),
    title: "odoo-deploy.yaml",
  } as Record<string, unknown>;
}

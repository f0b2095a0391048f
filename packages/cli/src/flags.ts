import type { FlagSpec } from "./command.js";

/**
 * The flags several commands share, defined once (CONVENTIONS.md "CLI"): a command lists the ones it takes by
 * name (`flags: { dbUrl: FLAGS.dbUrl }`), giving its own description where the generic one would not say
 * enough (`{ ...FLAGS.dbUrl, description: "…" }`). Each names the config key it overrides, so a flag, an
 * `ODOO_DEPLOY_*` variable and odoo-deploy.yaml set the same setting.
 */
export const FLAGS = {
  // The database
  dbUrl: { flags: "--db-url <url>", description: "PostgreSQL URL of the Odoo database", configKey: "database.url" },
  dbName: { flags: "--db-name <name>", description: "Odoo database name", configKey: "database.name" },
  sourceUrl: { flags: "--source-url <url>", description: "PostgreSQL URL of the source database (read only)" },
  targetUrl: { flags: "--target-url <url>", description: "PostgreSQL URL of the target database" },

  // Odoo and its runner
  odooBin: { flags: "--odoo-bin <path>", description: "odoo-bin to run (default odoo-bin on the runner's PATH)", configKey: "odoo.odooBin" },
  odooConfig: { flags: "--odoo-config <file>", description: "Odoo's own config file, as the Odoo host sees it", configKey: "odoo.configPath" },
  odooAddonsPath: { flags: "--addons-path <path>", description: "addons path as the Odoo host sees it (comma-separated)", configKey: "odoo.addonsPath" },
  runner: { flags: "--runner <kind>", description: "where odoo-bin runs and the Odoo service lives", configKey: "odoo.runner", choices: ["local", "docker", "ssh"] },
  image: { flags: "--image <image>", description: "the Odoo image to deploy (updates run in a one-off container of it)", configKey: "odoo.image" },
  dockerHost: { flags: "--docker-host <url>", description: "Docker engine (default DOCKER_HOST or the local socket)", configKey: "odoo.docker.host" },
  container: { flags: "--container <name>", description: "the Odoo container (Docker)", configKey: "odoo.docker.container" },
  composeProject: { flags: "--compose-project <name>", description: "the Compose project of the Odoo service", configKey: "odoo.docker.composeProject" },
  composeService: { flags: "--compose-service <name>", description: "the Compose service of Odoo", configKey: "odoo.docker.composeService" },
  sshHost: { flags: "--ssh-host <host>", description: "SSH host of the Odoo server", configKey: "odoo.ssh.host" },
  sshUser: { flags: "--ssh-user <user>", description: "SSH user on the Odoo server", configKey: "odoo.ssh.user" },
  sshKey: { flags: "--ssh-key <path>", description: "SSH private key file", configKey: "odoo.ssh.privateKeyPath" },

  // Service control (deploy, rollback): how the Odoo service is stopped and started (deploy.service)
  serviceContainer: { flags: "--container <name>", description: "the Odoo service is this Docker container", configKey: "deploy.service.container" },
  serviceComposeService: { flags: "--compose-service <name>", description: "the Odoo service is this Compose service (docker compose through odoo.runner)", configKey: "deploy.service.composeService" },
  systemdUnit: { flags: "--systemd-unit <unit>", description: "the Odoo service is this systemd unit (systemctl through odoo.runner)", configKey: "deploy.service.systemdUnit" },
  stopCommand: { flags: "--stop-command <cmd>", description: "shell command stopping all of Odoo (run through odoo.runner)", configKey: "deploy.service.stopCommand" },
  startCommand: { flags: "--start-command <cmd>", description: "shell command starting Odoo on $ODOO_DEPLOY_REVISION / $ODOO_DEPLOY_IMAGE", configKey: "deploy.service.startCommand" },
  smoke: { flags: "--smoke <path...>", description: "a path that must answer 200 once healthy (repeatable)", configKey: "deploy.smoke", parse: "repeatable" },

  // The repository
  repo: { flags: "--repo <dir>", description: "repository root (default .)", configKey: "repo.root" },
  repoAddonsPaths: {
    flags: "--addons-path <path...>",
    description: "addons path inside the repository (repeatable, or comma-separated)",
    configKey: "repo.addonsPaths",
    parse: "list",
  },

  // Backups, health, notifications
  backupDir: { flags: "--backup-dir <dir>", description: "where verified backups are published", configKey: "backups.directory" },
  healthUrl: { flags: "--health-url <url>", description: "base URL of the Odoo server, for health checks", configKey: "health.url" },
  healthTimeout: { flags: "--health-timeout <duration>", description: "how long to wait for health (default 2m)", configKey: "health.timeout" },
  notifyUrl: { flags: "--notify-url <url>", description: "POST the outcome as JSON to this URL when done (retried; never fails the run)", configKey: "deploy.notifyUrl" },
  filestoreDir: { flags: "--filestore-dir <path>", description: "the database's filestore (<data_dir>/filestore/<db>)", configKey: "backups.filestoreDir" },

  // Behaviour
  force: { flags: "--force", description: "replace what exists", parse: "boolean" },
  dryRun: { flags: "--dry-run", description: "only show what would be done", parse: "boolean" },
} as const satisfies Record<string, FlagSpec>;

import { stringify } from "yaml";

/** What `odoo-deploy init` asks for; everything is optional (left out: written as a commented example). */
export interface InitAnswers {
  environment: string;
  /** PostgreSQL URL; a password in it is replaced by `${<passwordVar>}` before it is written. */
  dbUrl?: string;
  dbName?: string;
  runner?: "local" | "docker" | "ssh";
  container?: string;
  composeProject?: string;
  composeService?: string;
  sshHost?: string;
  sshUser?: string;
  sshKey?: string;
  odooBin?: string;
  odooConfig?: string;
  addonsPaths?: string[];
  backupDir?: string;
  healthUrl?: string;
  /** The CLI's version, for the schema URL. */
  version: string;
}

/** The variable a password found in `--db-url` is moved to. */
export const PASSWORD_VAR = "ODOO_DEPLOY_DB_PASSWORD";

/**
 * The URL with its password replaced by `${PASSWORD_VAR}`: init never writes a secret into a file meant to be
 * committed. Returns whether a password was moved.
 *
 * @example withoutPassword("postgres://odoo:pw@db/prod") // { url: "postgres://odoo:${ODOO_DEPLOY_DB_PASSWORD}@db/prod", moved: true }
 */
export function withoutPassword(url: string): { url: string; moved: boolean } {
  const m = /^(postgres(?:ql)?:\/\/[^:/?#@]*):([^@/?#]*)@/.exec(url);
  if (!m || m[2] === "" || m[2] === `\${${PASSWORD_VAR}}`) return { url, moved: false };
  return { url: `${m[1]}:\${${PASSWORD_VAR}}@${url.slice(m[0].length)}`, moved: true };
}

/** A YAML scalar for a value typed by a user: quoted whenever plain would change its meaning. */
const scalar = (v: string) => stringify(v, { lineWidth: 0 }).trimEnd();
const list = (xs: string[]) => `[${xs.map(scalar).join(", ")}]`;

/**
 * The text of a commented odoo-deploy.yaml for one environment: each section says what it is for, and what
 * was not answered is left as a commented example to fill in.
 *
 * @example writeFileSync("odoo-deploy.yaml", renderConfigTemplate({ environment: "production", version: "0.1.0" }));
 */
export function renderConfigTemplate(a: InitAnswers): string {
  const url = a.dbUrl ? withoutPassword(a.dbUrl).url : undefined;
  const set = (key: string, value: string | undefined, example: string, indent: string) =>
    value === undefined ? `${indent}# ${key}: ${example}` : `${indent}${key}: ${value}`;
  const runner = a.runner ?? "local";
  const lines = [
    "# odoo-deploy.yaml, written by `odoo-deploy init`. Review it and commit it: it holds no secret.",
    "# Passwords and keys never go here: ${VAR} is read from the environment when the file is loaded (and",
    "# redacted from every output). Precedence: defaults < this file < ODOO_DEPLOY_* variables < flags.",
    "# `odoo-deploy config show` prints what is in force; the schema below gives editors completion.",
    `# yaml-language-server: $schema=https://unpkg.com/@odoo-deploy/cli@${a.version}/odoo-deploy.schema.json`,
    "version: 1",
    `defaultEnvironment: ${scalar(a.environment)}`,
    "environments:",
    `  ${scalar(a.environment)}:`,
    "    # The Odoo database: a PostgreSQL URL as seen from where pg_dump and psql run (unix sockets:",
    "    # postgres:///odoo?host=/var/run/postgresql), and the database name Odoo knows it by.",
    "    database:",
    set("url", url === undefined ? undefined : scalar(url), `postgres://odoo:\${${PASSWORD_VAR}}@db.internal:5432/odoo`, "      "),
    set("name", a.dbName === undefined ? undefined : scalar(a.dbName), "odoo", "      "),
    "      # Where pg_dump / psql run: local, docker (exec in a container) or ssh.",
    "      runner: local",
    "    # Where odoo-bin runs and the Odoo service lives: local, docker (a container, a Compose service, or",
    "    # one-off containers of odoo.image for updates) or ssh.",
    "    odoo:",
    `      runner: ${runner}`,
  ];
  if (runner === "docker") {
    lines.push("      docker:");
    if (a.composeService !== undefined) {
      lines.push(set("composeProject", a.composeProject === undefined ? undefined : scalar(a.composeProject), "odoo", "        "));
      lines.push(`        composeService: ${scalar(a.composeService)}`);
    } else {
      lines.push(set("container", a.container === undefined ? undefined : scalar(a.container), "odoo", "        "));
    }
    lines.push("      # image: ghcr.io/your-org/odoo:sha-… (updates then run in a one-off container of the new image)");
  } else if (runner === "ssh") {
    lines.push(
      "      ssh:",
      set("host", a.sshHost === undefined ? undefined : scalar(a.sshHost), "erp.internal", "        "),
      set("user", a.sshUser === undefined ? undefined : scalar(a.sshUser), "deploy", "        "),
      set("privateKeyPath", a.sshKey === undefined ? undefined : scalar(a.sshKey), "~/.ssh/deploy_ed25519", "        "),
      "        # The host key is checked against ~/.ssh/known_hosts, or pin it: hostKeyFingerprint: SHA256:…",
    );
  }
  lines.push(
    set("odooBin", a.odooBin === undefined ? undefined : scalar(a.odooBin), "/opt/odoo/odoo-bin", "      "),
    set("configPath", a.odooConfig === undefined ? undefined : scalar(a.odooConfig), "/etc/odoo/odoo.conf", "      "),
    "    # Your addons' git repository, for `odoo-deploy plan` (paths inside it).",
    "    repo:",
    "      root: .",
    set("addonsPaths", a.addonsPaths === undefined ? undefined : list(a.addonsPaths), "[custom_addons]", "      "),
    "    # Verified backups are published here; retention never deletes the newest verified one.",
    "    backups:",
    set("directory", a.backupDir === undefined ? undefined : scalar(a.backupDir), "/var/backups/odoo", "      "),
    "      # filestoreDir: /var/lib/odoo/filestore/odoo",
    "      retention: { keepLast: 7, keepDays: 30 }",
    "    # The Odoo server, for health checks after a deploy.",
    "    health:",
    set("url", a.healthUrl === undefined ? undefined : scalar(a.healthUrl), "https://erp.example.com", "      "),
    "      timeout: 2m",
    "    # `odoo-deploy refresh-staging`: staging rebuilt from production (or a backup), anonymized, neutralized,",
    "    # swapped in only when complete and healthy. The staging database, its service and its URL are named here,",
    "    # never taken from the sections above (in production's environment they would name production).",
    "    # staging:",
    "    #   sourceUrl: postgres://odoo_reader:${PRODUCTION_READER_PASSWORD}@db.internal:5432/odoo   # or fromBackup: /var/backups/odoo",
    `    #   targetUrl: postgres://odoo:\${${PASSWORD_VAR}}@staging-db.internal:5432/odoo_staging`,
    "    #   preset: odoo",
    "    #   baseUrl: https://staging.example.com",
    "    #   filestore: placeholders        # none | placeholders | public | all",
    "    #   targetFilestore: /var/lib/odoo/filestore/odoo_staging",
    "    #   service: { container: odoo-staging }",
    "    #   healthUrl: https://staging.example.com",
    "    #   keep: 1",
  );
  return `${lines.join("\n")}\n`;
}

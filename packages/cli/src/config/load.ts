import { ConfigError, type ConfigIssue, type Redactor } from "@odoo-deploy/core";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { interpolate } from "./interpolate.js";
import { configFileSchema, environmentSchema, type ConfigFile, type Settings } from "./schema.js";

/** Default config file name, looked up in the working directory. */
export const DEFAULT_CONFIG_FILE = "odoo-deploy.yaml";

/**
 * Environment variables that override config keys: `ODOO_DEPLOY_` + the key path in upper snake case.
 * List-valued keys take a comma-separated list.
 */
export const ENV_OVERRIDES: Record<string, { key: string; list?: boolean }> = {
  ODOO_DEPLOY_DATABASE_URL: { key: "database.url" },
  ODOO_DEPLOY_DATABASE_NAME: { key: "database.name" },
  ODOO_DEPLOY_ODOO_RUNNER: { key: "odoo.runner" },
  ODOO_DEPLOY_ODOO_BIN: { key: "odoo.odooBin" },
  ODOO_DEPLOY_ODOO_IMAGE: { key: "odoo.image" },
  ODOO_DEPLOY_ODOO_CONFIG: { key: "odoo.configPath" },
  ODOO_DEPLOY_ODOO_ADDONS_PATH: { key: "odoo.addonsPath" },
  ODOO_DEPLOY_ODOO_DATA_DIR: { key: "odoo.dataDir" },
  ODOO_DEPLOY_REPO_ROOT: { key: "repo.root" },
  ODOO_DEPLOY_REPO_ADDONS_PATHS: { key: "repo.addonsPaths", list: true },
  ODOO_DEPLOY_BACKUPS_DIRECTORY: { key: "backups.directory" },
  ODOO_DEPLOY_HEALTH_URL: { key: "health.url" },
  ODOO_DEPLOY_HEALTH_TIMEOUT: { key: "health.timeout" },
  ODOO_DEPLOY_ANONYMIZE_RULES: { key: "anonymize.rules" },
  ODOO_DEPLOY_DEPLOY_NOTIFY_URL: { key: "deploy.notifyUrl" },
  ODOO_DEPLOY_STAGING_SOURCE_URL: { key: "staging.sourceUrl" },
  ODOO_DEPLOY_STAGING_FROM_BACKUP: { key: "staging.fromBackup" },
  ODOO_DEPLOY_STAGING_TARGET_URL: { key: "staging.targetUrl" },
  ODOO_DEPLOY_STAGING_BASE_URL: { key: "staging.baseUrl" },
  ODOO_DEPLOY_STAGING_NOTIFY_URL: { key: "staging.notifyUrl" },
};

/** What {@link loadSettings} needs. */
export interface LoadSettingsInput {
  /** `--file`; when absent `./odoo-deploy.yaml` is used if it exists. */
  file?: string;
  /** `--env`; else `ODOO_DEPLOY_ENV`, the file's `defaultEnvironment`, or its only environment. */
  envName?: string;
  cwd: string;
  env: Record<string, string | undefined>;
  /** Flag values by config key path (`database.url`), already parsed; undefined entries are ignored. */
  flags: Record<string, unknown>;
  redactor: Redactor;
}

/** Settings with where they came from. */
export interface LoadedSettings {
  settings: Settings;
  /** Absolute path of the config file used, if any. */
  file?: string;
  environment?: string;
}

/**
 * Resolves the settings of one environment: defaults < file < environment variables < flags. Every problem
 * (YAML syntax, unknown keys, wrong types, missing `${VAR}`s) is collected and thrown at once as a
 * {@link ConfigError} with `path.to.key: message` lines. Secrets met on the way (values of secret-named keys,
 * URL passwords) are added to the redactor.
 *
 * @example const { settings } = loadSettings({ cwd: process.cwd(), env: process.env, flags: {}, redactor });
 */
export function loadSettings(input: LoadSettingsInput): LoadedSettings {
  const explicit = input.file !== undefined;
  const file = path.resolve(input.cwd, input.file ?? DEFAULT_CONFIG_FILE);
  let fileConfig: ConfigFile | undefined;
  if (existsSync(file)) {
    fileConfig = parseConfigFile(readFileSync(file, "utf8"), file, input.env, input.redactor);
  } else if (explicit) {
    throw new ConfigError([{ path: "--file", message: `config file not found: ${file}` }]);
  }

  const issues: ConfigIssue[] = [];
  let envName = input.envName ?? input.env.ODOO_DEPLOY_ENV;
  let fromFile: Record<string, unknown> = {};
  if (fileConfig) {
    const names = Object.keys(fileConfig.environments);
    envName ??= fileConfig.defaultEnvironment ?? (names.length === 1 ? names[0] : undefined);
    if (envName === undefined) {
      issues.push({ path: "environments", message: `several environments (${names.join(", ")}): choose one with --env NAME or defaultEnvironment` });
    } else if (!(envName in fileConfig.environments)) {
      issues.push({ path: "environments", message: `no environment named "${envName}" (have: ${names.join(", ") || "none"})` });
    } else {
      fromFile = (fileConfig.environments[envName] ?? {}) as Record<string, unknown>;
    }
  } else if (input.envName !== undefined) {
    issues.push({ path: "environments", message: `--env ${input.envName} given but no config file (${file})` });
  }

  const merged = structuredClone(fromFile);
  for (const [name, spec] of Object.entries(ENV_OVERRIDES)) {
    const v = input.env[name];
    if (v === undefined || v === "") continue;
    setPath(merged, spec.key, spec.list ? v.split(",").map((s) => s.trim()).filter(Boolean) : v);
  }
  for (const [key, v] of Object.entries(input.flags)) if (v !== undefined) setPath(merged, key, v);

  input.redactor.addSecretsIn(merged);
  const result = environmentSchema.safeParse(merged);
  if (!result.success) issues.push(...zodIssues(result.error, ["(merged settings)"]));
  if (issues.length > 0) throw new ConfigError(issues, { source: fileConfig ? file : undefined });
  const settings = result.data!;
  return { settings, ...(fileConfig ? { file } : {}), ...(envName && fileConfig ? { environment: envName } : {}) };
}

/**
 * Parses and validates the text of an odoo-deploy.yaml, collecting every problem.
 *
 * @example parseConfigFile("version: 1\nenvironments: {}\n", "odoo-deploy.yaml", process.env, new Redactor())
 */
export function parseConfigFile(text: string, file: string, env: Record<string, string | undefined>, redactor: Redactor): ConfigFile {
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  const issues: ConfigIssue[] = [];
  for (const err of doc.errors) {
    const pos = err.linePos?.[0];
    issues.push({ path: pos ? `line ${pos.line}, column ${pos.col}` : "(yaml)", message: err.message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "") });
  }
  if (issues.length > 0) throw new ConfigError(issues, { source: file });
  const raw: unknown = doc.toJS();
  const { value, issues: envIssues } = interpolate(raw, env);
  // Secrets by where they stand (secret-named keys, URL passwords) in every environment, before validation.
  redactor.addSecretsIn(value);
  const result = configFileSchema.safeParse(value);
  const all = [...envIssues, ...(result.success ? [] : zodIssues(result.error))];
  if (all.length > 0) throw new ConfigError(dedupe(all), { source: file });
  return result.data!;
}

function zodIssues(error: z.ZodError, prefix: string[] = []): ConfigIssue[] {
  return error.issues.map((i) => {
    const keys = i.code === "unrecognized_keys" ? (i as { keys?: string[] }).keys : undefined;
    const p = i.path.map(String).join(".");
    const where = p || prefix.join(".");
    if (keys?.length) return { path: where, message: `unknown key${keys.length > 1 ? "s" : ""}: ${keys.join(", ")}` };
    return { path: where, message: i.message };
  });
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\0${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function setPath(target: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split(".");
  let node: Record<string, unknown> = target;
  for (const k of keys.slice(0, -1)) {
    const next = node[k];
    if (!next || typeof next !== "object" || Array.isArray(next)) node[k] = {};
    node = node[k] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

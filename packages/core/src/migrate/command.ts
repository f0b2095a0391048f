import { UsageError } from "../errors.js";

/** Options of {@link buildOdooUpdateArgv}. */
export interface OdooUpdateCommandOptions {
  /** odoo-bin to run: a path, or an argv prefix (`["python3", "/opt/odoo/odoo-bin"]`). Default `odoo-bin`. */
  odooBin?: string | readonly string[];
  /** Odoo's own config file, as the Odoo host sees it (`-c`). */
  odooConfig?: string;
  /** The Odoo database (`-d`). */
  dbName: string;
  /** Modules to update (`-u`). */
  update?: readonly string[];
  /** Modules to install (`-i`). */
  install?: readonly string[];
  /** Addons path as the Odoo host sees it, comma-separated or a list (`--addons-path`). */
  addonsPath?: string | readonly string[];
  /** Overwrite existing translations (`--i18n-overwrite`). */
  i18nOverwrite?: boolean;
  /** More odoo-bin arguments, appended last. */
  extraArgs?: readonly string[];
}

const MODULE_NAME = /^[A-Za-z0-9_]+$/;

/**
 * The odoo-bin argv of a one-shot update: `odoo-bin [-c CONF] -d DB [-u a,b] [-i c] --stop-after-init
 * --no-http [--addons-path P] [--i18n-overwrite] [extra…]`. Refuses an empty update, module names Odoo
 * could not have (a comma would split one name into two), and a database name starting with `-`.
 *
 * @example buildOdooUpdateArgv({ dbName: "prod", update: ["sale", "crm"] })
 * // ["odoo-bin", "-d", "prod", "-u", "sale,crm", "--stop-after-init", "--no-http"]
 */
export function buildOdooUpdateArgv(options: OdooUpdateCommandOptions): string[] {
  const update = [...(options.update ?? [])];
  const install = [...(options.install ?? [])];
  if (update.length === 0 && install.length === 0) {
    throw new UsageError("nothing to migrate: give modules to update (--update) or install (--install)", { code: "NOTHING_TO_MIGRATE" });
  }
  for (const m of [...update, ...install]) {
    if (!MODULE_NAME.test(m)) throw new UsageError(`invalid module name: ${JSON.stringify(m)}`, { code: "INVALID_MODULE_NAME", details: { module: m } });
  }
  if (!options.dbName || options.dbName.startsWith("-")) {
    throw new UsageError(`invalid database name: ${JSON.stringify(options.dbName)}`, { code: "INVALID_DB_NAME" });
  }
  const bin = options.odooBin === undefined ? ["odoo-bin"] : typeof options.odooBin === "string" ? [options.odooBin] : [...options.odooBin];
  if (bin.length === 0) throw new UsageError("empty odoo-bin command", { code: "INVALID_ODOO_BIN" });
  const argv = [...bin];
  if (options.odooConfig) argv.push("-c", options.odooConfig);
  argv.push("-d", options.dbName);
  if (update.length > 0) argv.push("-u", update.join(","));
  if (install.length > 0) argv.push("-i", install.join(","));
  argv.push("--stop-after-init", "--no-http");
  const addons = typeof options.addonsPath === "string" ? options.addonsPath : options.addonsPath?.join(",");
  if (addons) argv.push("--addons-path", addons);
  if (options.i18nOverwrite) argv.push("--i18n-overwrite");
  argv.push(...(options.extraArgs ?? []));
  return argv;
}

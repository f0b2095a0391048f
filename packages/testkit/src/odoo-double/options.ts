/**
 * odoo-bin's command line and config file, for the options the double understands. Unknown options fail like
 * optparse does (exit 2, `error: no such option`).
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";

export interface OdooOptions {
  command: "server" | "neutralize";
  config?: string;
  dbName?: string;
  init: string[];
  update: string[];
  stopAfterInit: boolean;
  noHttp: boolean;
  addonsPath: string[];
  httpPort: number;
  dbHost?: string;
  dbPort?: number;
  dbUser?: string;
  dbPassword?: string;
  dataDir?: string;
  i18nOverwrite: boolean;
  withoutDemo?: string;
  toStdout: boolean;
}

/** An optparse-style usage error. */
export class OptionError extends Error {}

type Key = keyof OdooOptions;
const VALUE_OPTS: Record<string, Key> = {
  "-c": "config",
  "--config": "config",
  "-d": "dbName",
  "--database": "dbName",
  "-i": "init",
  "--init": "init",
  "-u": "update",
  "--update": "update",
  "--addons-path": "addonsPath",
  "-p": "httpPort",
  "--http-port": "httpPort",
  "--db_host": "dbHost",
  "--db_port": "dbPort",
  "-r": "dbUser",
  "--db_user": "dbUser",
  "-w": "dbPassword",
  "--db_password": "dbPassword",
  "-D": "dataDir",
  "--data-dir": "dataDir",
  "--without-demo": "withoutDemo",
};
const IGNORED_VALUE_OPTS = new Set(["--log-level", "--logfile", "--log-handler", "--db-filter", "--workers", "--max-cron-threads", "--limit-time-real", "--limit-time-cpu", "--http-interface", "--load", "--db_sslmode", "--db-template", "--proxy-mode"]);
const FLAGS: Record<string, Key> = {
  "--stop-after-init": "stopAfterInit",
  "--no-http": "noHttp",
  "--i18n-overwrite": "i18nOverwrite",
  "--stdout": "toStdout",
};

const list = (v: string) =>
  v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);

/** Reads `[options]` of an Odoo config file. `False` and empty values mean unset, as in Odoo. */
export function readOdooConfig(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  let section = "";
  for (const raw of readFileSync(file, "utf8").split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#") || line.startsWith(";")) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!;
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(line);
    if (kv && section === "options" && kv[2] !== "False" && kv[2] !== "") out[kv[1]!] = kv[2]!;
  }
  return out;
}

/** Parses odoo-bin's argv (without the program) and merges the config file under it. */
export function parseOdooArgs(argv: string[]): OdooOptions {
  const o: OdooOptions = { command: "server", init: [], update: [], stopAfterInit: false, noHttp: false, addonsPath: [], httpPort: 8069, i18nOverwrite: false, toStdout: false };
  const args = [...argv];
  if (args[0] && !args[0].startsWith("-")) {
    const cmd = args.shift()!;
    if (cmd !== "server" && cmd !== "neutralize") throw new OptionError(`Unknown command '${cmd}'`);
    o.command = cmd;
  }
  const set = (key: Key, v: string) => {
    if (key === "init" || key === "update") (o[key] as string[]).push(...list(v));
    else if (key === "addonsPath") o.addonsPath = list(v);
    else if (key === "httpPort" || key === "dbPort") {
      if (!/^\d+$/.test(v)) throw new OptionError(`option ${key}: invalid integer value: '${v}'`);
      o[key] = Number(v);
    } else (o as unknown as Record<string, unknown>)[key] = v;
  };
  const explicit = new Set<Key>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const eq = a.startsWith("--") ? a.indexOf("=") : -1;
    const name = eq > 0 ? a.slice(0, eq) : a.length > 2 && /^-[a-zA-Z]/.test(a) && !a.startsWith("--") ? a.slice(0, 2) : a;
    const inline = eq > 0 ? a.slice(eq + 1) : name !== a ? a.slice(2) : undefined;
    if (FLAGS[name]) {
      (o as unknown as Record<string, unknown>)[FLAGS[name]] = true;
      continue;
    }
    const key = VALUE_OPTS[name];
    if (key || IGNORED_VALUE_OPTS.has(name)) {
      const v = inline ?? args[++i];
      if (v === undefined) throw new OptionError(`${name} option requires 1 argument`);
      if (key) {
        set(key, v);
        explicit.add(key);
      }
      continue;
    }
    throw new OptionError(`no such option: ${name}`);
  }
  const conf = o.config ?? (existsSync(`${os.homedir()}/.odoorc`) ? `${os.homedir()}/.odoorc` : undefined);
  if (conf) {
    const c = readOdooConfig(conf);
    const fromConf: [string, Key][] = [
      ["db_host", "dbHost"],
      ["db_port", "dbPort"],
      ["db_user", "dbUser"],
      ["db_password", "dbPassword"],
      ["addons_path", "addonsPath"],
      ["data_dir", "dataDir"],
      ["db_name", "dbName"],
      ["http_port", "httpPort"],
    ];
    for (const [k, key] of fromConf) if (c[k] !== undefined && !explicit.has(key)) set(key, c[k]);
  }
  return o;
}

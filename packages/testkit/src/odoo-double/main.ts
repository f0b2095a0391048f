/**
 * Entry point of the Odoo test double: `node odoo-double.mjs [neutralize] [odoo-bin options]`.
 * See README.md in this folder for what it reproduces and how to switch faults.
 */
import os from "node:os";
import path from "node:path";
import { Session, ident, type ConnParams } from "./db.js";
import { startHttp } from "./http.js";
import { loadModules } from "./loading.js";
import { OdooLogger, pyList } from "./log.js";
import { discoverModules } from "./modules.js";
import { neutralize } from "./neutralize.js";
import { OptionError, parseOdooArgs, type OdooOptions } from "./options.js";
import { VERSION } from "./version.js";

const log = new OdooLogger();

function connParams(o: OdooOptions): Omit<ConnParams, "database"> {
  // Like psycopg2: explicit options first, libpq PG* variables otherwise (node-pg reads them itself).
  return {
    ...(o.dbHost ? { host: o.dbHost } : {}),
    ...(o.dbPort ? { port: o.dbPort } : {}),
    ...(o.dbUser ? { user: o.dbUser } : {}),
    ...(o.dbPassword ? { password: o.dbPassword } : {}),
  };
}

/** psycopg2's OperationalError as Python prints an uncaught one. */
function pgCrash(e: unknown): never {
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`Traceback (most recent call last):\n  File "/opt/odoo/odoo-bin", line 8, in <module>\n    odoo.cli.main()\npsycopg2.OperationalError: ${msg}\n`);
  process.exit(1);
}

function shutdownLines(): void {
  log.info("odoo.service.server", "Initiating shutdown");
  log.info("odoo.service.server", "Hit CTRL-C again or send a second signal to force the shutdown.");
}

async function ensureDatabase(o: OdooOptions, dbName: string): Promise<boolean> {
  const admin = await Session.open({ ...connParams(o), database: "postgres" });
  try {
    if ((await admin.q("SELECT 1 FROM pg_database WHERE datname = $1", [dbName])).length) return false;
    await admin.q(`CREATE DATABASE ${ident(dbName)} ENCODING 'unicode' LC_COLLATE 'C' TEMPLATE "template0"`);
    return true;
  } finally {
    await admin.close();
  }
}

async function main(): Promise<number> {
  let o: OdooOptions;
  try {
    o = parseOdooArgs(process.argv.slice(2));
  } catch (e) {
    if (!(e instanceof OptionError)) throw e;
    const cmd = process.argv[2] === "neutralize" ? "neutralize" : "server";
    process.stderr.write(`Usage: odoo-bin ${cmd} [options]\n\nodoo-bin ${cmd}: error: ${e.message}\n`);
    return 2;
  }
  const dataDir = o.dataDir ?? path.join(os.homedir(), ".local/share/Odoo");
  const modules = discoverModules(o.addonsPath.map((p) => path.resolve(p)));

  if (o.command === "neutralize") {
    if (!o.dbName) {
      log.error("odoo.cli.neutralize", "Neutralize command needs a database name. Use \"-d\" argument");
      return 1;
    }
    try {
      const s = await Session.open({ ...connParams(o), database: o.dbName });
      try {
        return await neutralize(s, log, o.dbName, modules, o.toStdout);
      } finally {
        await s.close();
      }
    } catch {
      log.critical("odoo.cli.neutralize", "An error occurred during the neutralization. THE DATABASE IS NOT NEUTRALIZED!");
      return 1;
    }
  }

  log.info("odoo", `Odoo version ${VERSION.server}`);
  log.info("odoo", `Using configuration file at ${o.config ? path.resolve(o.config) : path.join(os.homedir(), ".odoorc")}`);
  log.info("odoo", `addons paths: ${pyList(["/opt/odoo/odoo/addons", path.join(dataDir, "addons", VERSION.series), ...o.addonsPath.map((p) => path.resolve(p))])}`);
  log.info("odoo", `database: ${o.dbUser ?? "default"}@${o.dbHost ?? "default"}:${o.dbPort ?? "default"}`);
  log.info("odoo.addons.base.models.ir_actions_report", "You need Wkhtmltopdf to print a pdf version of the reports.");
  if (VERSION.major >= 18) log.info("odoo.addons.base.models.ir_actions_report", "You need Wkhtmltoimage to generate images from html.");

  let registryBroken = false;
  const http =
    !o.stopAfterInit && !o.noHttp
      ? await startHttp({ port: o.httpPort, conn: connParams(o), ...(o.dbName ? { dbName: o.dbName } : {}), version: VERSION, log, registryBroken: () => registryBroken })
      : undefined;

  let session: Session | undefined;
  let ok = true;
  if (o.dbName) {
    try {
      if (await ensureDatabase(o, o.dbName)) o.init.push("base");
      session = await Session.open({ ...connParams(o), database: o.dbName });
    } catch (e) {
      if (o.stopAfterInit) pgCrash(e);
    }
    if (session) {
      ok = (await loadModules(session, log, { dbName: o.dbName, init: o.init, update: o.update, modules })).ok;
      registryBroken = !ok;
    }
  }

  if (o.stopAfterInit) {
    shutdownLines();
    if (session) {
      await session.close();
      log.info("odoo.sql_db", `ConnectionPool(${VERSION.major >= 18 ? "read/write;" : ""}used=0/count=0/max=64): Closed 1 connections `);
    }
    return ok ? 0 : 255;
  }

  // A running server: keeps its database connection (as Odoo's workers and cron do) until SIGTERM/SIGINT.
  await new Promise<void>((resolve) => {
    process.once("SIGTERM", () => resolve());
    process.once("SIGINT", () => resolve());
  });
  shutdownLines();
  await http?.close();
  if (session) await session.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`Traceback (most recent call last):\n  File "/opt/odoo/odoo-bin", line 8, in <module>\nException: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);

/**
 * Odoo 16's `load_modules` (with the log lines 17 and 18 print differently) as the double reproduces it: update the module list, mark modules with
 * button_install / button_upgrade, load the graph (installed + to upgrade, then to install), apply each module's
 * schema, data files and SQL in ONE transaction, and on failure roll everything back, reset transient states and
 * log the ERROR/CRITICAL pair. Returns what odoo-bin's exit code would be with --stop-after-init.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { ident, type Session } from "./db.js";
import { pyList, secs, type OdooLogger } from "./log.js";
import { adaptVersion, checkPythonBrackets, pythonFiles, pythonModels, type OdooModule } from "./modules.js";
import { baseSchemaSql } from "./schema.js";
import {
  externalIdCause,
  genericFailure,
  parseErrorFailure,
  registryTraceback,
  serverTraceback,
  syntaxErrorFailure,
  userErrorFailure,
  type LoadFailure,
} from "./tracebacks.js";
import { VERSION } from "./version.js";
import { descendants, elements, parseXml, textOf, type XmlElement } from "./xml.js";

const L = "odoo.modules.loading";
const IRM = "odoo.addons.base.models.ir_module";

/** Thrown inside the load to abort it the way Odoo's exceptions do. */
export class RegistryLoadError extends Error {
  constructor(readonly failure: LoadFailure) {
    super("registry load failed");
  }
}

export interface LoadOptions {
  dbName: string;
  init: string[];
  update: string[];
  modules: Map<string, OdooModule>;
}

/** Outcome of a registry load. */
export interface LoadResult {
  ok: boolean;
  failure?: LoadFailure;
}

interface ModRow {
  id: number;
  name: string;
  state: string;
  shortdesc: string;
}

const FIELD_TYPES: Record<string, string> = {
  Char: "varchar",
  Text: "text",
  Html: "text",
  Integer: "integer",
  Float: "numeric",
  Monetary: "numeric",
  Boolean: "boolean",
  Date: "date",
  Datetime: "timestamp",
  Many2one: "integer",
  Selection: "varchar",
  Binary: "bytea",
};

/** Loads the registry of `dbName` like `odoo-bin -d DB [-i ..] [-u ..]`. */
export async function loadModules(s: Session, log: OdooLogger, o: LoadOptions): Promise<LoadResult> {
  const t0 = performance.now();
  log.db = o.dbName;
  const updateModule = o.init.length > 0 || o.update.length > 0;
  await s.q("BEGIN");
  try {
    const initialized = (await s.q("SELECT 1 FROM pg_class WHERE relname = 'ir_module_module' AND relkind = 'r'")).length > 0;
    if (!initialized) {
      if (!updateModule) {
        log.error(L, `Database ${o.dbName} not initialized, you can force it with \`-i base\``);
        await s.q("ROLLBACK");
        return { ok: true };
      }
      log.info(L, "init db");
      await s.q(baseSchemaSql());
      await updateList(s, o.modules, true);
    }
    if (o.update.includes("base") || o.update.includes("all"))
      await s.q("UPDATE ir_module_module SET state = 'to upgrade' WHERE name = 'base' AND state = 'installed'");

    // STEP 1: base
    const graph: string[] = [];
    const upgraded = new Set<string>();
    log.info(L, "loading 1 modules...");
    const t1 = performance.now();
    const q1 = s.queries;
    graph.push("base");
    const baseState = (await s.q<{ state: string }>("SELECT state FROM ir_module_module WHERE name = 'base'"))[0]?.state;
    if (baseState === "to install" || baseState === "to upgrade") {
      if (baseState === "to upgrade") upgraded.add("base");
      await loadModule(s, log, o, "base", 1, 1, graph);
    }
    log.info(L, `1 modules loaded in ${secs(performance.now() - t1)}s, ${s.queries - q1} queries (+${s.queries - q1} extra)`);
    if (!initialized) {
      // the double keeps a freshly initialised base even when the rest of this first run fails
      await s.q("COMMIT");
      await s.q("BEGIN");
    }

    // STEP 2: mark modules
    if (updateModule) {
      log.info(L, "updating modules list");
      log.info(IRM, "ALLOW access to module.update_list on [] to user __system__ #1 via n/a");
      await updateList(s, o.modules, false);
      const names = [...new Set([...o.init, ...o.update])].filter((n) => n !== "all");
      if (names.length) {
        const known = new Set((await s.q<{ name: string }>("SELECT name FROM ir_module_module WHERE name = ANY($1)", [names])).map((r) => r.name));
        const invalid = names.filter((n) => !known.has(n));
        if (invalid.length) log.warning(L, `invalid module names, ignored: ${invalid.join(", ")}`);
      }
      if (o.init.length) {
        const mods = await s.q<ModRow>("SELECT id, name, state, shortdesc->>'en_US' AS shortdesc FROM ir_module_module WHERE state = 'uninstalled' AND name = ANY($1) ORDER BY name", [o.init]);
        if (mods.length) await buttonInstall(s, log, mods);
      }
      const upd = o.update.includes("all")
        ? await s.q<ModRow>("SELECT id, name, state, shortdesc->>'en_US' AS shortdesc FROM ir_module_module WHERE state IN ('installed', 'to upgrade') ORDER BY name")
        : o.update.length
          ? await s.q<ModRow>("SELECT id, name, state, shortdesc->>'en_US' AS shortdesc FROM ir_module_module WHERE state IN ('installed', 'to upgrade') AND name = ANY($1) ORDER BY name", [o.update])
          : [];
      if (upd.length) await buttonUpgrade(s, log, o.modules, upd);
      await s.q("UPDATE ir_module_module SET state = 'installed' WHERE name = 'base'");
    }

    // STEP 3: load marked modules (installed, to upgrade, to remove), then to install
    const passes: string[][] = [["installed", "to upgrade", "to remove"]];
    if (updateModule) passes.push(["to install"]);
    for (const states of passes) {
      for (;;) {
        const rows = await s.q<{ name: string; state: string }>("SELECT name, state FROM ir_module_module WHERE state = ANY($1) ORDER BY name", [states]);
        const added = addToGraph(log, o.modules, graph, rows.map((r) => r.name).filter((n) => !graph.includes(n)));
        if (states[0] === "to install" && added.length === 0) break;
        const order = graphOrder(o.modules, graph);
        log.info(L, `loading ${order.length} modules...`);
        const t = performance.now();
        const q = s.queries;
        const stateOf = new Map((await s.q<{ name: string; state: string }>("SELECT name, state FROM ir_module_module")).map((r) => [r.name, r.state]));
        let idx = 0;
        for (const name of order) {
          idx++;
          if (name === "base") continue;
          const st = stateOf.get(name);
          if (st === "to upgrade" || st === "to install") {
            if (st === "to upgrade") upgraded.add(name);
            await loadModule(s, log, o, name, idx, order.length, graph);
          }
        }
        log.info(L, `${order.length} modules loaded in ${secs(performance.now() - t)}s, ${s.queries - q} queries (+${s.queries - q} extra)`);
        if (states[0] !== "to install") break;
        // auto_install modules may have become installable after this pass
        if (updateModule && !(await markAutoInstall(s))) break;
      }
    }
    // 17 does not log this line at INFO (../shared/odoo17-lab/logs/exp-a-update-contacts.log).
    if (upgraded.size && VERSION.major !== 17) log.info("odoo.modules.registry", "verifying fields for every extended model");
    if (updateModule) {
      const left = (await s.q<{ name: string }>("SELECT name FROM ir_module_module WHERE state IN ('to install', 'to upgrade') ORDER BY name"))
        .map((r) => r.name)
        .filter((n) => !graph.includes(n));
      if (left.length) log.error(L, `Some modules have inconsistent states, some dependencies may be missing: ${pyList(left)}`);
    }
    log.info(L, "Modules loaded.");
    await s.q("COMMIT");
    if (updateModule && VERSION.major >= 18) log.info("odoo.modules.registry", "Registry changed, signaling through the database");
    log.info("odoo.modules.registry", `Registry loaded in ${secs(performance.now() - t0, 3)}s`);
    return { ok: true };
  } catch (e) {
    await s.q("ROLLBACK").catch(() => undefined);
    const failure = e instanceof RegistryLoadError ? e.failure : genericFailure(errorType(e), e instanceof Error ? e.message : String(e));
    // reset_modules_state, in its own transaction, like Odoo's Registry.new
    await s
      .q(
        "UPDATE ir_module_module SET state = CASE WHEN state = 'to install' THEN 'uninstalled' ELSE 'installed' END WHERE state IN ('to install', 'to upgrade', 'to remove')",
      )
      .catch(() => undefined);
    log.warning(L, "Transient module states were reset");
    log.error("odoo.modules.registry", "Failed to load registry", registryTraceback(failure));
    log.critical("odoo.service.server", `Failed to initialize database \`${o.dbName}\`.`, serverTraceback(failure));
    return { ok: false, failure };
  }
}

function errorType(e: unknown): string {
  if (e && typeof e === "object" && "code" in e && typeof (e as { code: unknown }).code === "string") return "psycopg2.errors.Error";
  return "Exception";
}

/** `ir.module.module.update_list`: syncs rows and dependencies with the modules found on disk. */
async function updateList(s: Session, modules: Map<string, OdooModule>, init: boolean): Promise<void> {
  for (const m of modules.values()) {
    const values = [m.name, JSON.stringify({ en_US: m.shortdesc }), JSON.stringify({ en_US: m.summary }), m.author, m.license, m.application, m.autoInstall !== null];
    const existing = (await s.q<{ id: number; state: string }>("SELECT id, state FROM ir_module_module WHERE name = $1", [m.name]))[0];
    let id: number;
    if (existing) {
      id = existing.id;
      await s.q(
        `UPDATE ir_module_module SET shortdesc = $2, summary = $3, author = $4, license = $5, application = $6, auto_install = $7,
           state = CASE WHEN state = 'uninstallable' AND $8 THEN 'uninstalled' ELSE state END, write_date = now() AT TIME ZONE 'UTC'
         WHERE name = $1`,
        [...values, m.installable],
      );
    } else {
      const state = !m.installable ? "uninstallable" : init && m.name === "base" ? "to install" : "uninstalled";
      id = (
        await s.q<{ id: number }>(
          `INSERT INTO ir_module_module (name, shortdesc, summary, author, license, application, auto_install, state, create_date, write_date)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC') RETURNING id`,
          [...values, state],
        )
      )[0]!.id;
    }
    await s.q("DELETE FROM ir_module_module_dependency WHERE module_id = $1", [id]);
    for (const d of m.depends)
      await s.q("INSERT INTO ir_module_module_dependency (name, module_id, auto_install_required) VALUES ($1, $2, $3)", [
        d,
        id,
        m.autoInstall === null ? true : m.autoInstall.includes(d),
      ]);
  }
  if (init) await markAutoInstall(s);
}

/** Dependencies of module ids with the state of the module they name (`unknown` when there is none). */
async function dependencies(s: Session, ids: number[]): Promise<{ module: string; dep: string; state: string }[]> {
  return s.q(
    `SELECT m.name AS module, d.name AS dep, coalesce(dm.state, 'unknown') AS state
       FROM ir_module_module_dependency d JOIN ir_module_module m ON m.id = d.module_id
       LEFT JOIN ir_module_module dm ON dm.name = d.name
      WHERE d.module_id = ANY($1) ORDER BY m.name, d.name`,
    [ids],
  );
}

/** `button_install`: marks the modules and their uninstalled dependencies `to install`, then auto_install ones. */
async function buttonInstall(s: Session, log: OdooLogger, mods: ModRow[]): Promise<void> {
  log.info(IRM, `ALLOW access to module.button_install on ${pyList(mods.map((m) => m.shortdesc))} to user __system__ #1 via n/a`);
  let todo = mods.map((m) => m.id);
  const seen = new Set<number>();
  while (todo.length) {
    for (const id of todo) seen.add(id);
    for (const d of await dependencies(s, todo)) {
      if (d.state === "unknown")
        throw new RegistryLoadError(
          userErrorFailure(`You try to install module '${d.module}' that depends on module '${d.dep}'.\nBut the latter module is not available in your system.`, false),
        );
    }
    await s.q("UPDATE ir_module_module SET state = 'to install' WHERE id = ANY($1) AND state = 'uninstalled'", [todo]);
    const next = await s.q<{ id: number }>(
      `SELECT DISTINCT dm.id FROM ir_module_module_dependency d JOIN ir_module_module dm ON dm.name = d.name
        WHERE d.module_id = ANY($1) AND dm.state = 'uninstalled'`,
      [todo],
    );
    todo = next.map((r) => r.id).filter((id) => !seen.has(id));
  }
  await markAutoInstall(s);
}

/** auto_install: uninstalled modules whose required dependencies are all installed or being installed, one of them being installed. */
async function markAutoInstall(s: Session): Promise<boolean> {
  let any = false;
  for (;;) {
    const rows = await s.q<{ id: number }>(
      `SELECT m.id FROM ir_module_module m
        WHERE m.auto_install AND m.state = 'uninstalled'
          AND NOT EXISTS (SELECT 1 FROM ir_module_module_dependency d LEFT JOIN ir_module_module dm ON dm.name = d.name
                           WHERE d.module_id = m.id AND d.auto_install_required
                             AND coalesce(dm.state, 'unknown') NOT IN ('installed', 'to install', 'to upgrade'))
          AND EXISTS (SELECT 1 FROM ir_module_module_dependency d JOIN ir_module_module dm ON dm.name = d.name
                       WHERE d.module_id = m.id AND d.auto_install_required AND dm.state = 'to install')`,
    );
    if (!rows.length) return any;
    any = true;
    await s.q("UPDATE ir_module_module SET state = 'to install' WHERE id = ANY($1)", [rows.map((r) => r.id)]);
  }
}

/** `button_upgrade`: the modules and every installed module depending on them, transitively. */
async function buttonUpgrade(s: Session, log: OdooLogger, modules: Map<string, OdooModule>, mods: ModRow[]): Promise<void> {
  const desc = pyList(mods.map((m) => m.shortdesc));
  log.info(IRM, `ALLOW access to module.button_upgrade on ${desc} to user __system__ #1 via n/a`);
  log.info(IRM, `ALLOW access to module.update_list on ${desc} to user __system__ #1 via n/a`);
  await updateList(s, modules, false);
  const todo: ModRow[] = [...mods];
  for (let i = 0; i < todo.length; i++) {
    const dependents = await s.q<ModRow>(
      `SELECT m.id, m.name, m.state, m.shortdesc->>'en_US' AS shortdesc FROM ir_module_module_dependency d
         JOIN ir_module_module m ON m.id = d.module_id WHERE d.name = $1 AND m.state = 'installed' ORDER BY m.name`,
      [todo[i]!.name],
    );
    for (const d of dependents) if (!todo.some((t) => t.id === d.id)) todo.push(d);
  }
  await s.q("UPDATE ir_module_module SET state = 'to upgrade' WHERE id = ANY($1)", [todo.map((t) => t.id)]);
  const toInstall = new Set<number>();
  for (const d of await dependencies(s, todo.map((t) => t.id))) {
    if (d.state === "unknown")
      throw new RegistryLoadError(
        userErrorFailure(`You try to upgrade the module ${d.module} that depends on the module: ${d.dep}.\nBut this module is not available in your system.`, true),
      );
    if (d.state === "uninstalled") {
      const r = (await s.q<{ id: number }>("SELECT id FROM ir_module_module WHERE name = $1", [d.dep]))[0];
      if (r) toInstall.add(r.id);
    }
  }
  const rows = toInstall.size
    ? await s.q<ModRow>("SELECT id, name, state, shortdesc->>'en_US' AS shortdesc FROM ir_module_module WHERE id = ANY($1) ORDER BY name", [[...toInstall]])
    : [];
  await buttonInstall(s, log, rows);
}

/** graph.add_modules: adds installable modules whose dependencies are in the graph; warns about the others. */
function addToGraph(log: OdooLogger, modules: Map<string, OdooModule>, graph: string[], names: string[]): string[] {
  const added: string[] = [];
  let pending: string[] = [];
  for (const n of names) {
    const m = modules.get(n);
    if (!m || !m.installable) log.warning("odoo.modules.graph", `module ${n}: not installable, skipped`);
    else pending.push(n);
  }
  for (;;) {
    const ready = pending.filter((n) => modules.get(n)!.depends.every((d) => graph.includes(d)));
    if (!ready.length) break;
    graph.push(...ready);
    added.push(...ready);
    pending = pending.filter((n) => !ready.includes(n));
  }
  for (const n of pending) {
    const unmet = modules.get(n)!.depends.filter((d) => !graph.includes(d));
    log.info("odoo.modules.graph", `module ${n}: Unmet dependencies: ${unmet.join(", ")}`);
  }
  return added;
}

/** Graph order: by depth (base 0, else 1 + deepest dependency), then by name, as Odoo's Graph iterates. */
function graphOrder(modules: Map<string, OdooModule>, graph: string[]): string[] {
  const depth = new Map<string, number>();
  const d = (n: string, seen: Set<string> = new Set()): number => {
    const known = depth.get(n);
    if (known !== undefined) return known;
    if (seen.has(n)) return 0;
    seen.add(n);
    const deps = (modules.get(n)?.depends ?? []).filter((x) => graph.includes(x));
    const v = deps.length ? 1 + Math.max(...deps.map((x) => d(x, seen))) : 0;
    depth.set(n, v);
    return v;
  };
  return [...graph].sort((a, b) => d(a) - d(b) || a.localeCompare(b));
}

/** Loads one module marked for install or upgrade: Python, schema, data files, then its new state. */
async function loadModule(s: Session, log: OdooLogger, o: LoadOptions, name: string, idx: number, total: number, graph: string[]): Promise<void> {
  const m = o.modules.get(name)!;
  const t = performance.now();
  const q = s.queries;
  log.info(L, `Loading module ${name} (${idx}/${total})`);
  // ODOO_DOUBLE_MODULE_DELAY_MS makes each module take time, so tests can abort or race an update
  const delay = Number(process.env.ODOO_DOUBLE_MODULE_DELAY_MS ?? 0);
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  if (m.dir) {
    for (const f of pythonFiles(m.dir)) {
      const p = checkPythonBrackets(f, readFileSync(f, "utf8"));
      if (p) {
        log.critical("odoo.modules.module", `Couldn't load module ${name}`);
        // 16 logs the exception text on a CRITICAL line of its own; 17 and 18 do not.
        if (VERSION.major === 16) log.critical("odoo.modules.module", `${p.message} (${path.basename(f)}, line ${p.line})`);
        throw new RegistryLoadError(syntaxErrorFailure({ ...p, imports: importChain(m.dir, f) }));
      }
    }
    const models = pythonModels(m.dir);
    if (models.length) {
      log.info("odoo.modules.registry", `module ${name}: creating or updating database tables`);
      for (const model of models) {
        const table = model.model.replace(/\./g, "_");
        if (model.isNew) await s.q(`CREATE TABLE IF NOT EXISTS ${ident(table)} (id serial PRIMARY KEY, create_date timestamp, write_date timestamp)`);
        for (const f of model.fields) {
          const type = FIELD_TYPES[f.type];
          if (type) await s.q(`ALTER TABLE IF EXISTS ${ident(table)} ADD COLUMN IF NOT EXISTS ${ident(f.name)} ${type}`);
        }
      }
    }
    for (const file of m.data) {
      log.info(L, `loading ${name}/${file}`);
      const full = path.join(m.dir, file);
      if (file.endsWith(".sql")) await s.q(readFileSync(full, "utf8"));
      else if (file.endsWith(".xml")) await loadXml(s, o, name, full, graph);
    }
  }
  await s.q("UPDATE ir_module_module SET state = 'installed', latest_version = $2, demo = false, write_date = now() AT TIME ZONE 'UTC' WHERE name = $1", [
    name,
    adaptVersion(m.version),
  ]);
  log.info(L, `Module ${name} loaded in ${secs(performance.now() - t)}s, ${s.queries - q} queries (+${s.queries - q} other)`);
}

/** The `from . import x` lines Python went through to import `file` of the module in `dir` (package by package). */
function importChain(dir: string, file: string): { file: string; line: number; code: string }[] {
  const parts = path.relative(dir, file).split(path.sep);
  return parts.map((part, i) => {
    const init = path.join(dir, ...parts.slice(0, i), "__init__.py");
    const name = part.replace(/\.py$/, "");
    const lines = existsSync(init) ? readFileSync(init, "utf8").split("\n") : [];
    const at = lines.findIndex((l) => new RegExp(`\\bimport\\b.*\\b${name}\\b`).test(l));
    return { file: init, line: at + 1 || 1, code: at >= 0 ? lines[at]!.trim() : `from . import ${name}` };
  });
}

async function columnsOf(s: Session, table: string): Promise<Set<string>> {
  const rows = await s.q<{ column_name: string }>("SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1", [table]);
  return new Set(rows.map((r) => r.column_name));
}

/** Loads an XML data file: records (with external ids), checking refs and the fields views use. */
async function loadXml(s: Session, o: LoadOptions, module: string, file: string, graph: string[]): Promise<void> {
  const root = parseXml(readFileSync(file, "utf8"));
  const records = descendants(root).filter((e) => e.tag === "record");
  for (const rec of records) {
    const xmlid = rec.attrs.id ?? "";
    const model = rec.attrs.model ?? "";
    const [xmod, xname] = xmlid.includes(".") ? (xmlid.split(".", 2) as [string, string]) : [module, xmlid];
    const values: Record<string, unknown> = {};
    let arch: XmlElement | undefined;
    for (const f of elements(rec).filter((e) => e.tag === "field")) {
      const fname = f.attrs.name ?? "";
      if (f.attrs.ref !== undefined) {
        const ref = f.attrs.ref.includes(".") ? f.attrs.ref : `${module}.${f.attrs.ref}`;
        const [rm, rn] = ref.split(".", 2) as [string, string];
        const hit = (await s.q<{ res_id: number }>("SELECT res_id FROM ir_model_data WHERE module = $1 AND name = $2", [rm, rn]))[0];
        if (!hit)
          throw new RegistryLoadError(
            parseErrorFailure({ cause: externalIdCause(ref), message: `while parsing ${file}:${rec.line}, somewhere inside\n${rec.source}` }),
          );
        values[fname] = hit.res_id;
      } else if (f.attrs.type === "xml") {
        arch = elements(f)[0];
        values[fname] = arch?.source ?? "";
      } else if (f.attrs.eval !== undefined) {
        const ev = f.attrs.eval.trim();
        values[fname] = ev === "True" ? true : ev === "False" ? false : /^-?\d+(\.\d+)?$/.test(ev) ? Number(ev) : ev.replace(/^['"]|['"]$/g, "");
      } else values[fname] = textOf(f).trim();
    }
    if (model === "ir.ui.view" && arch) await checkView(s, o, graph, file, rec, values, arch);
    await writeRecord(s, model, xmod, xname, values);
  }
}

/** View validation, for `<field name>` nodes (position anchors excepted): the field must exist on the model. */
async function checkView(s: Session, o: LoadOptions, graph: string[], file: string, rec: XmlElement, values: Record<string, unknown>, arch: XmlElement) {
  const model = typeof values.model === "string" ? values.model : "";
  if (!model) return;
  const cols = await columnsOf(s, model.replace(/\./g, "_"));
  const declared = new Set<string>();
  for (const n of graph) {
    const dir = o.modules.get(n)?.dir;
    if (dir) for (const pm of pythonModels(dir)) if (pm.model === model) for (const f of pm.fields) declared.add(f.name);
  }
  for (const f of [arch, ...descendants(arch)].filter((e) => e.tag === "field" && e.attrs.position === undefined)) {
    const name = f.attrs.name ?? "";
    if (cols.has(name) || declared.has(name)) continue;
    const viewName = typeof values.name === "string" ? values.name : "";
    const xmlid = rec.attrs.id ?? "";
    throw new RegistryLoadError(
      parseErrorFailure({
        message:
          `while parsing ${file}:${rec.line}\nError while validating view near:\n\n${f.source}\n\n` +
          `Field "${name}" does not exist in model "${model}"\n\nView error context:\n` +
          `{'file': '${file}',\n 'line': ${f.line - rec.line + 1},\n 'name': '${viewName}',\n 'view.model': '${model}',\n 'xmlid': '${xmlid}'}\n`,
      }),
    );
  }
}

/** Creates or updates the record behind an external id, writing the values whose columns exist. */
async function writeRecord(s: Session, model: string, module: string, name: string, values: Record<string, unknown>): Promise<void> {
  const table = model.replace(/\./g, "_");
  const cols = await columnsOf(s, table);
  if (!cols.size) return;
  const row: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(values)) {
    const col = model === "ir.ui.view" && k === "arch" ? "arch_db" : k;
    if (cols.has(col)) row[col] = v;
  }
  if (model === "ir.ui.view" && cols.has("key")) row.key = `${module}.${name}`;
  if (cols.has("write_date")) row.write_date = new Date().toISOString();
  const existing = name ? (await s.q<{ res_id: number }>("SELECT res_id FROM ir_model_data WHERE module = $1 AND name = $2", [module, name]))[0] : undefined;
  const keys = Object.keys(row);
  if (existing) {
    if (keys.length)
      await s.q(`UPDATE ${ident(table)} SET ${keys.map((k, i) => `${ident(k)} = $${i + 2}`).join(", ")} WHERE id = $1`, [existing.res_id, ...keys.map((k) => row[k])]);
    return;
  }
  const id = (
    await s.q<{ id: number }>(
      keys.length
        ? `INSERT INTO ${ident(table)} (${keys.map(ident).join(", ")}) VALUES (${keys.map((_, i) => `$${i + 1}`).join(", ")}) RETURNING id`
        : `INSERT INTO ${ident(table)} DEFAULT VALUES RETURNING id`,
      keys.map((k) => row[k]),
    )
  )[0]!.id;
  if (name) await s.q("INSERT INTO ir_model_data (module, name, model, res_id) VALUES ($1, $2, $3, $4)", [module, name, model, id]);
}

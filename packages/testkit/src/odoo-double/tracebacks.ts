/**
 * Python tracebacks shaped like the real ones in ../shared/odoo16-lab, odoo17-lab and odoo18-lab logs (frames of
 * the series' loader with their line numbers, Python 3.11's `^^^` under the part of a line that failed, then the
 * exception line(s) the log parser and humans read). Paths are the double's own: /opt/odoo/...
 * Line numbers of the frames below `load_module_graph` other than the import path are 16's in every series (no
 * real 17/18 log of those failures).
 */
import { VERSION, type Series } from "./version.js";

const ODOO = "/opt/odoo/odoo";

/** A frame; `highlight` is the part of `code` Python 3.11 underlines (omitted when it is the whole line). */
const frame = (file: string, line: number, fn: string, code: string, highlight?: string) => {
  let s = `  File "${file}", line ${line}, in ${fn}\n    ${code}\n`;
  if (highlight) s += `    ${" ".repeat(code.indexOf(highlight))}${"^".repeat(highlight.length)}\n`;
  return s;
};

/** Where the loader's frames are in each series (real tracebacks of a syntax error). */
const LINES: Record<Series, { registry: number; loadModules: number; loadMarked: number; loadGraph: number; importLine: number; preload: number; locked: number; env: string; importCode: string }> = {
  "16.0": { registry: 90, loadModules: 484, loadMarked: 372, loadGraph: 188, importLine: 471, preload: 1310, locked: 87, env: "cr", importCode: "__import__('odoo.addons.' + module_name)" },
  "17.0": { registry: 113, loadModules: 476, loadMarked: 364, loadGraph: 185, importLine: 395, preload: 1313, locked: 87, env: "env", importCode: "__import__(qualname)" },
  "18.0": { registry: 127, loadModules: 480, loadMarked: 365, loadGraph: 186, importLine: 384, preload: 1328, locked: 97, env: "env", importCode: "__import__(qualname)" },
};
const L = LINES[VERSION.series];

const REGISTRY_NEW = frame(`${ODOO}/modules/registry.py`, L.registry, "new", "odoo.modules.load_modules(registry, force_demo, status, update_module)");
const PRELOAD =
  frame(`${ODOO}/service/server.py`, L.preload, "preload_registries", "registry = Registry.new(dbname, update_module=update_module)", "Registry.new(dbname, update_module=update_module)") +
  frame("/usr/lib/python3/dist-packages/decorator.py", 232, "fun", "return caller(func, *(extras + args), **kw)", "caller(func, *(extras + args), **kw)") +
  frame(`${ODOO}/tools/func.py`, L.locked, "locked", "return func(inst, *args, **kwargs)", "func(inst, *args, **kwargs)");
const LOAD_GRAPH =
  frame(`${ODOO}/modules/loading.py`, L.loadModules, "load_modules", `processed_modules += load_marked_modules(${L.env}, graph,`, `load_marked_modules(${L.env}, graph,`) +
  frame(`${ODOO}/modules/loading.py`, L.loadMarked, "load_marked_modules", "loaded, processed = load_module_graph(", "load_module_graph(");
const LOAD_DATA =
  frame(`${ODOO}/modules/loading.py`, 231, "load_module_graph", "load_data(cr, idref, mode, kind='data', package=package)") +
  frame(`${ODOO}/modules/loading.py`, 71, "load_data", "tools.convert_file(cr, package.name, filename, idref, mode, noupdate, kind)") +
  frame(`${ODOO}/tools/convert.py`, 763, "convert_file", "convert_xml_import(cr, module, fp, idref, mode, noupdate)") +
  frame(`${ODOO}/tools/convert.py`, 829, "convert_xml_import", "obj.parse(doc.getroot())") +
  frame(`${ODOO}/tools/convert.py`, 749, "parse", "self._tag_root(de)") +
  frame(`${ODOO}/tools/convert.py`, 709, "_tag_root", 'raise ParseError(msg) from None  # Restart with "--log-handler odoo.tools.convert:DEBUG" for complete traceback');
/** The failure of a registry load: the inner frames (below registry.new) and the final exception text. */
export interface LoadFailure {
  /** Frames below `Registry.new` / `load_modules`, ending with the exception line(s). */
  chain: string;
  /** A chained cause, printed first (`... The above exception was the direct cause of the following exception:`). */
  cause?: string;
}

function causeBlock(f: LoadFailure): string {
  return f.cause ? `Traceback (most recent call last):\n${f.cause}\nThe above exception was the direct cause of the following exception:\n\n` : "";
}

/** Traceback of the ERROR `Failed to load registry` record; 18 logs that record without one. */
export function registryTraceback(f: LoadFailure): string | undefined {
  if (VERSION.major >= 18) return undefined;
  return `${causeBlock(f)}Traceback (most recent call last):\n${REGISTRY_NEW}${f.chain}`;
}

/** Traceback of the CRITICAL ``Failed to initialize database `X`.`` record. */
export function serverTraceback(f: LoadFailure): string {
  return `${causeBlock(f)}Traceback (most recent call last):\n${PRELOAD}${REGISTRY_NEW}${f.chain}`;
}

/** A module whose Python does not compile; `imports` are the `from . import x` frames leading to the file. */
export function syntaxErrorFailure(p: {
  file: string;
  line: number;
  column: number;
  sourceLine: string;
  message: string;
  imports: { file: string; line: number; code: string }[];
}): LoadFailure {
  const indent = p.sourceLine.length - p.sourceLine.trimStart().length;
  const caret = " ".repeat(Math.max(0, p.column - 1 - indent)) + "^";
  return {
    chain:
      LOAD_GRAPH +
      frame(`${ODOO}/modules/loading.py`, L.loadGraph, "load_module_graph", "load_openerp_module(package.name)") +
      frame(`${ODOO}/modules/module.py`, L.importLine, "load_openerp_module", L.importCode) +
      p.imports.map((i) => frame(i.file, i.line, "<module>", i.code)).join("") +
      `  File "${p.file}", line ${p.line}\n    ${p.sourceLine.trim()}\n    ${caret}\n` +
      `SyntaxError: ${p.message}\n`,
  };
}

/** A data file that failed to load (wrong external id, invalid view): a ParseError. */
export function parseErrorFailure(p: { cause?: string; message: string }): LoadFailure {
  const chain = LOAD_GRAPH + LOAD_DATA + `odoo.tools.convert.ParseError: ${p.message}\n`;
  return p.cause ? { chain, cause: p.cause } : { chain };
}

/** A wrong external id: the ValueError Odoo raises, to be wrapped by {@link parseErrorFailure}. */
export function externalIdCause(xmlid: string): string {
  return (
    frame(`${ODOO}/tools/convert.py`, 698, "_tag_root", "f(rec)") +
    frame(`${ODOO}/tools/convert.py`, 568, "_tag_record", "f_val = self.id_get(f_ref, raise_if_not_found=nodeattr2bool(rec, 'forcecreate', True))") +
    frame(`${ODOO}/tools/convert.py`, 681, "id_get", "res = self.model_id_get(id_str, raise_if_not_found)") +
    frame(`${ODOO}/addons/base/models/ir_model.py`, 2034, "_xmlid_lookup", "raise ValueError('External ID not found in the system: %s' % xmlid)") +
    `ValueError: External ID not found in the system: ${xmlid}\n`
  );
}

/** A UserError raised by button_install / button_upgrade (missing dependency). */
export function userErrorFailure(message: string, upgrade: boolean): LoadFailure {
  return {
    chain:
      frame(`${ODOO}/modules/loading.py`, upgrade ? 461 : 455, "load_modules", upgrade ? "modules.button_upgrade()" : "modules.button_install()") +
      frame("/usr/lib/python3/dist-packages/decorator.py", 232, "fun", "return caller(func, *(extras + args), **kw)", "caller(func, *(extras + args), **kw)") +
      frame(`${ODOO}/addons/base/models/ir_module.py`, 74, "check_and_log", "return method(self, *args, **kwargs)", "method(self, *args, **kwargs)") +
      frame(`${ODOO}/addons/base/models/ir_module.py`, upgrade ? 710 : 479, upgrade ? "button_upgrade" : "button_install", "raise UserError(msg % (module.name, dep.name))") +
      `odoo.exceptions.UserError: ${message}\n`,
  };
}

/** Any other error while loading (a failing SQL data file, …). */
export function genericFailure(excType: string, message: string): LoadFailure {
  return { chain: LOAD_GRAPH + frame(`${ODOO}/modules/loading.py`, 231, "load_module_graph", "load_data(cr, idref, mode, kind='data', package=package)") + `${excType}: ${message}\n` };
}

import { OdooLogParser, type OdooException, type OdooLogLevel, type OdooLogRecord } from "./log-parser.js";

/**
 * What a log record means for an update, by the cases of ODOO-FACTS.md:
 * - `invalid-module-names`: WARNING `invalid module names, ignored: x` — a misspelled `-u`/`-i` name, exit 0;
 * - `not-installable`: WARNING `module x: not installable, skipped` — the module is left in `to upgrade`, exit 0;
 * - `inconsistent-states`: ERROR `Some modules have inconsistent states, …: ['x']`, exit 0;
 * - `modules-not-loaded`: ERROR `Some modules are not loaded, some dependencies or manifest may be missing`;
 * - `module-load-failed`: CRITICAL `Couldn't load module x` (Python error importing the module);
 * - `python-error`: a traceback ending in a Python exception while loading code (SyntaxError, ImportError…);
 * - `view-error`: a ParseError on a view (`Field "f" does not exist in model "m"`…);
 * - `missing-external-id`: `External ID not found in the system: x`;
 * - `data-error`: another ParseError of a data file;
 * - `missing-dependency`: `You try to upgrade the module x that depends on the module: y.`;
 * - `registry-failed`: ERROR `Failed to load registry`;
 * - `database-init-failed`: CRITICAL ``Failed to initialize database `db`.``;
 * - `error-record`: any other ERROR or CRITICAL record.
 */
export type OdooLogFindingKind =
  | "invalid-module-names"
  | "not-installable"
  | "inconsistent-states"
  | "modules-not-loaded"
  | "module-load-failed"
  | "python-error"
  | "view-error"
  | "missing-external-id"
  | "data-error"
  | "missing-dependency"
  | "registry-failed"
  | "database-init-failed"
  | "error-record";

/** One reason, found in the log, why an update did not succeed. */
export interface OdooLogFinding {
  kind: OdooLogFindingKind;
  level: OdooLogLevel;
  logger: string;
  /** The record's first line. */
  message: string;
  /** Line of the record in the log. */
  line: number;
  /** Modules the finding names. */
  modules?: string[];
  /** The traceback's final exception, when there is one. */
  exception?: OdooException;
  /** Data file and line for ParseErrors (`lab_demo/views/x.xml:3`). */
  file?: string;
}

/** A module Odoo loaded (with `-u`/`-i`, only the modules it updated or installed are logged at INFO). */
export interface OdooModuleProgress {
  name: string;
  /** Position in the load order and the count of modules of that pass (`Loading module crm (44/64)`). */
  index?: number;
  total?: number;
  /** From `Module crm loaded in 2.65s, 1891 queries`. */
  durationMs?: number;
  queries?: number;
}

/** The interpretation of a whole log. */
export interface OdooLogSummary {
  /** Number of log records seen. */
  records: number;
  /** Every WARNING, ERROR and CRITICAL record, with its exception. */
  notable: Pick<OdooLogRecord, "level" | "logger" | "message" | "line" | "exception" | "timestamp">[];
  /** Reasons the update failed; empty for a clean log. */
  findings: OdooLogFinding[];
  /** Modules loaded with progress and durations, in log order. */
  modules: OdooModuleProgress[];
  /** `Registry loaded in 10.649s`. */
  registryLoadedMs?: number;
  /** The Odoo version from `Odoo version 16.0`. */
  odooVersion?: string;
  /** Lines before the first record (e.g. a Python crash before logging started). */
  preamble: string[];
}

/** Progress seen while analysing a stream, for events. */
export type OdooLogSignal =
  | { kind: "record"; record: OdooLogRecord }
  | { kind: "loading"; count: number }
  | { kind: "module-start"; module: OdooModuleProgress }
  | { kind: "module-done"; module: OdooModuleProgress }
  | { kind: "finding"; finding: OdooLogFinding };

const LOADING = /^loading (\d+) modules\.\.\.$/;
const MODULE_START = /^Loading module (\S+) \((\d+)\/(\d+)\)$/;
const MODULE_DONE = /^Module (\S+) loaded in ([\d.]+)s(?:, (\d+) queries)?/;
const REGISTRY_LOADED = /^Registry loaded in ([\d.]+)s$/;
const INVALID_NAMES = /^invalid module names, ignored: (.*)$/;
const NOT_INSTALLABLE = /^module (\S+): not installable, skipped$/;
const INCONSISTENT = /^Some modules have inconsistent states, some dependencies may be missing: (.*)$/;
const NOT_LOADED = /^Some modules are not loaded, some dependencies or manifest may be missing: (.*)$/;
const COULD_NOT_LOAD = /^Couldn't load module (\S+)$/;
const INIT_FAILED = /^Failed to initialize database `(.*)`\.?$/;
const MISSING_DEP = /You try to (?:upgrade|install) (?:the )?module '?(\w+)'? that depends on (?:the )?module:? '?(\w+)'?/;
// Anchored on the exception line: the traceback's source lines quote the same text with a `%s`.
const MISSING_XMLID = /^(?:[\w.]+: )?External ID not found in the system: (\S+)$/m;
const PARSE_FILE = /while parsing (\S+?):(\d+)/;
const PYTHON_LOAD_ERRORS = /(^|\.)(SyntaxError|IndentationError|TabError|ImportError|ModuleNotFoundError|NameError|AttributeError)$/;

/** Names in a Python list literal such as `['lab_demo', 'crm']`, or a comma-separated list. */
function names(text: string): string[] {
  return text
    .replace(/^\[|\]$/g, "")
    .split(",")
    .map((s) => s.trim().replace(/^['"]|['"]$/g, ""))
    .filter(Boolean);
}

/**
 * Accumulates what a stream of Odoo log lines says about an update. Feed stderr (and stdout) lines with
 * `push`, call `end()`, read `summary()`. `onSignal` fires as progress and findings appear.
 *
 * @example
 * const a = new OdooLogAnalyzer();
 * for (const line of log.split("\n")) a.push(line);
 * a.end();
 * a.summary().findings.map((f) => f.kind); // ["invalid-module-names"]
 */
export class OdooLogAnalyzer {
  private readonly parser: OdooLogParser;
  private count = 0;
  private readonly notable: OdooLogSummary["notable"] = [];
  private readonly findings: OdooLogFinding[] = [];
  private readonly modules: OdooModuleProgress[] = [];
  private registryLoadedMs: number | undefined;
  private odooVersion: string | undefined;
  /** The cause read from the last `Failed to load registry` record (`kind|message`), to not name it twice. */
  private registryCause: string | undefined;

  constructor(private readonly onSignal?: (signal: OdooLogSignal) => void) {
    this.parser = new OdooLogParser(
      (r) => this.record(r),
      (r) => this.progress(r),
    );
  }

  push(line: string): void {
    this.parser.push(line);
  }

  end(): void {
    this.parser.end();
  }

  summary(): OdooLogSummary {
    return {
      records: this.count,
      notable: this.notable,
      findings: this.findings,
      modules: this.modules,
      ...(this.registryLoadedMs === undefined ? {} : { registryLoadedMs: this.registryLoadedMs }),
      ...(this.odooVersion === undefined ? {} : { odooVersion: this.odooVersion }),
      preamble: this.parser.preamble,
    };
  }

  /** Progress comes from a record's first line, signalled as soon as it arrives. */
  private progress(r: OdooLogRecord): void {
    const msg = r.message;
    let m: RegExpExecArray | null;
    if ((m = MODULE_START.exec(msg))) {
      const mod: OdooModuleProgress = { name: m[1]!, index: Number(m[2]), total: Number(m[3]) };
      this.modules.push(mod);
      this.onSignal?.({ kind: "module-start", module: mod });
    } else if ((m = MODULE_DONE.exec(msg))) {
      // Odoo 17+ logs the start at DEBUG only, so the first sign of a module may be its end.
      let mod = this.modules.findLast((x) => x.name === m![1] && x.durationMs === undefined);
      if (!mod) {
        mod = { name: m[1]! };
        this.modules.push(mod);
      }
      mod.durationMs = Math.round(Number(m[2]) * 1000);
      if (m[3] !== undefined) mod.queries = Number(m[3]);
      this.onSignal?.({ kind: "module-done", module: mod });
    } else if ((m = LOADING.exec(msg))) {
      this.onSignal?.({ kind: "loading", count: Number(m[1]) });
    } else if ((m = REGISTRY_LOADED.exec(msg))) {
      this.registryLoadedMs = Math.round(Number(m[1]) * 1000);
    } else if (r.logger === "odoo" && msg.startsWith("Odoo version ")) {
      this.odooVersion = msg.slice("Odoo version ".length).trim();
    }
  }

  /** Findings need the whole record (a traceback names the cause). */
  private record(r: OdooLogRecord): void {
    this.count++;
    this.onSignal?.({ kind: "record", record: r });
    const msg = r.message;
    if (r.level === "WARNING" || r.level === "ERROR" || r.level === "CRITICAL") {
      this.notable.push({
        level: r.level,
        logger: r.logger,
        message: msg,
        line: r.line,
        timestamp: r.timestamp,
        ...(r.exception ? { exception: r.exception } : {}),
      });
    }
    const findings = classifyRecord(r);
    // 16 and 17 print the traceback under the registry record and repeat it under the database-init one; 18
    // prints it under the database-init record only. The cause is named once, from whichever carries it first.
    const cause = findings.find((f) => CAUSE_KINDS.has(f.kind));
    const key = cause && `${cause.kind}|${cause.message}`;
    if (findings.some((f) => f.kind === "registry-failed")) this.registryCause = key;
    else if (findings.some((f) => f.kind === "database-init-failed") && key !== undefined && key === this.registryCause) findings.splice(findings.indexOf(cause!), 1);
    for (const f of findings) {
      this.findings.push(f);
      this.onSignal?.({ kind: "finding", finding: f });
    }
  }
}

/** The finding kinds read from a traceback: the cause of a failed load. */
const CAUSE_KINDS = new Set<OdooLogFindingKind>(["missing-dependency", "missing-external-id", "view-error", "data-error", "python-error"]);

/**
 * The findings one record carries (none for an ordinary INFO record or a harmless warning), with the cause its
 * traceback names. A ``Failed to initialize database`` record often repeats the registry record's traceback:
 * {@link OdooLogAnalyzer} names that cause once.
 *
 * @example classifyRecord(parseOdooLogLine(line)!).map((f) => f.kind)
 */
export function classifyRecord(r: OdooLogRecord): OdooLogFinding[] {
  const base = { level: r.level, logger: r.logger, message: r.message, line: r.line };
  const out: OdooLogFinding[] = [];
  const msg = r.message;
  let m: RegExpExecArray | null;
  if (r.level === "WARNING") {
    if ((m = INVALID_NAMES.exec(msg))) out.push({ ...base, kind: "invalid-module-names", modules: names(m[1]!) });
    else if ((m = NOT_INSTALLABLE.exec(msg))) out.push({ ...base, kind: "not-installable", modules: [m[1]!] });
    return out;
  }
  if (r.level !== "ERROR" && r.level !== "CRITICAL") return out;
  const exc = r.exception ? { exception: r.exception } : {};
  if ((m = INCONSISTENT.exec(msg))) out.push({ ...base, kind: "inconsistent-states", modules: names(m[1]!) });
  else if ((m = NOT_LOADED.exec(msg))) out.push({ ...base, kind: "modules-not-loaded", modules: names(m[1]!) });
  else if ((m = COULD_NOT_LOAD.exec(msg))) out.push({ ...base, kind: "module-load-failed", modules: [m[1]!] });
  else if (msg.startsWith("Failed to load registry")) out.push({ ...base, kind: "registry-failed", ...exc });
  else if (INIT_FAILED.test(msg)) out.push({ ...base, kind: "database-init-failed", ...exc });
  else out.push({ ...base, kind: "error-record", ...exc });
  if (r.exception) {
    const cause = causeOf(r.exception, r.extraLines.join("\n"), base);
    if (cause) out.push(cause);
  }
  return out;
}

function causeOf(e: OdooException, traceback: string, base: Omit<OdooLogFinding, "kind">): OdooLogFinding | undefined {
  const text = `${e.type}: ${e.message}`;
  let m: RegExpExecArray | null;
  if ((m = MISSING_DEP.exec(text))) {
    return { ...base, kind: "missing-dependency", modules: [m[1]!, m[2]!], exception: e, message: e.message.split("\n")[0]! };
  }
  if (e.type.endsWith("ParseError")) {
    const file = PARSE_FILE.exec(e.message);
    const where = file ? { file: `${file[1]}:${file[2]}` } : {};
    // A missing external id surfaces as a ValueError earlier in the chain, re-raised as the ParseError.
    if ((m = MISSING_XMLID.exec(traceback))) return { ...base, kind: "missing-external-id", ...where, exception: e, message: m[0].replace(/^[\w.]+: /, "") };
    if (/Error while validating view|Invalid view|does not exist in model/.test(e.message)) {
      return { ...base, kind: "view-error", ...where, exception: e, message: viewProblem(e.message) ?? base.message };
    }
    return { ...base, kind: "data-error", ...where, exception: e };
  }
  if ((m = MISSING_XMLID.exec(traceback))) return { ...base, kind: "missing-external-id", exception: e, message: m[0].replace(/^[\w.]+: /, "") };
  if (PYTHON_LOAD_ERRORS.test(e.type)) return { ...base, kind: "python-error", exception: e, message: `${e.type}: ${e.message.split("\n")[0]}` };
  return undefined;
}

/** The line of a view validation error that names the problem (`Field "x" does not exist in model "y"`). */
function viewProblem(message: string): string | undefined {
  return message.split("\n").find((l) => /does not exist in model|has no field|is not a valid|Invalid/.test(l))?.trim();
}

/**
 * Analyses a complete log text.
 *
 * @example analyzeOdooLog(readFileSync("exp-d1_unknown_module.log", "utf8")).findings[0]?.kind // "invalid-module-names"
 */
export function analyzeOdooLog(text: string): OdooLogSummary {
  const a = new OdooLogAnalyzer();
  for (const l of text.split(/\r?\n/)) a.push(l);
  a.end();
  return a.summary();
}

/**
 * What the double's tests share: running the double, reading Odoo logs (its own and the real ones of
 * ../shared/odoo1X-lab), and databases with lab_demo installed, built once per series and file.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll } from "../vitest.js";
import type { PgCluster } from "../postgres.js";
import { odooDoubleArgv } from "./build.js";
import { createOdooAddonsDir, writeOdooConfig, type FixtureSeries, type LabDemoVariant, type OdooAddonsDir } from "./fixtures.js";

/** One log record: its first line's fields and the lines after it. */
export interface LogRecord {
  level: string;
  db: string;
  logger: string;
  message: string;
  traceback: string[];
}

/** Splits Odoo log text into records (continuation lines belong to the record before them). */
export function parseLog(text: string): LogRecord[] {
  const out: LogRecord[] = [];
  for (const line of text.split("\n")) {
    const m = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \d+ (DEBUG|INFO|WARNING|ERROR|CRITICAL) (\S+) ([\w.]+): (.*)$/.exec(line);
    if (m) out.push({ level: m[1]!, db: m[2]!, logger: m[3]!, message: m[4]!, traceback: [] });
    else if (out.length && line !== "") out[out.length - 1]!.traceback.push(line);
  }
  return out;
}

/** WARNING and worse, database name and paths neutralised, for comparison with the real logs. */
export function problems(records: LogRecord[], db: string): string[] {
  return records
    .filter((r) => r.level !== "INFO" && r.level !== "DEBUG")
    .map((r) => `${r.level} ${r.logger}: ${r.message.replaceAll(db, "DB").trimEnd()}`);
}

/** The exception line(s) closing each traceback (what a reader or the log parser keys on), paths removed. */
export function exceptionLines(records: LogRecord[]): string[] {
  return records.flatMap((r) =>
    r.traceback
      .filter((l) => /^[\w.]+(Error|Exception): /.test(l) || /^Field ".*" does not exist/.test(l))
      .map((l) => l.replace(/\/\S+\/(lab_demo\/)/g, "$1").replace(/\/tmp\/odoo-lab\/custom_addons\//g, "")),
  );
}

/** A real log of ../shared/odoo16-lab (or the lab of another series). */
export function realLog(shared: string, name: string, series: FixtureSeries = "16.0"): LogRecord[] {
  return parseLog(readFileSync(path.join(shared, `odoo${series.split(".")[0]}-lab/logs`, name), "utf8"));
}

/** The outcome of one run of the double. */
export interface Run {
  code: number | null;
  stderr: string;
  records: LogRecord[];
}

/** Runs the double with `args` (and extra environment) to its exit. */
export function runDouble(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return odooDoubleArgv().then(
    ([node, script]) =>
      new Promise((resolve) => {
        execFile(node!, [script!, ...args], { env: { ...process.env, ...env } }, (err, _stdout, stderr) => {
          const code = err ? (typeof err.code === "number" ? err.code : null) : 0;
          resolve({ code, stderr, records: parseLog(stderr) });
        });
      }),
  );
}

let tmp: string;
/** A temp directory for the file's configs (removed after the file). */
export const tmpDir = () => tmp;
beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), "odoo-double-test-"));
  await odooDoubleArgv();
}, 60_000);
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Fixture addons of a series (with a variant of lab_demo) and an Odoo config pointing the double at `pg`. */
export function setup(pg: PgCluster, variant?: LabDemoVariant, series: FixtureSeries = "16.0"): { addons: OdooAddonsDir; conf: string } {
  const addons = createOdooAddonsDir({ series });
  const dir = mkdtempSync(path.join(tmp, "conf-"));
  const conf = writeOdooConfig(dir, { dbHost: pg.socketDir, dbPort: pg.port, dbUser: "postgres", addonsPath: [addons.path] });
  if (variant) addons.applyVariant(variant);
  return { addons, conf };
}

const templates = new Map<FixtureSeries, { pg: PgCluster; name: string; ready: Promise<void> }>();

/** The environment making the double play `series`. */
export const seriesEnv = (series: FixtureSeries): Record<string, string> => (series === "16.0" ? {} : { ODOO_DOUBLE_VERSION: series });

/** Makes `db` a database with lab_demo installed (by the double of `series`), copied from a template built once. */
export async function labDemoInstalled(pg: PgCluster, db: string, series: FixtureSeries = "16.0"): Promise<void> {
  let template = templates.get(series);
  if (!template) {
    const name = `dbl_tpl${series.split(".")[0]}_${Date.now().toString(36)}`;
    const ready = (async () => {
      const { addons, conf } = setup(pg, undefined, series);
      await pg.createDatabase(name);
      const r = await runDouble(["-c", conf, "-d", name, "-i", "lab_demo", "--stop-after-init"], seriesEnv(series));
      if (r.code !== 0) throw new Error(`template install failed:\n${r.stderr}`);
      addons.cleanup();
    })();
    template = { pg, name, ready };
    templates.set(series, template);
  }
  await template.ready;
  await pg.dropDatabase(db);
  await pg.createDatabase(db, { template: template.name });
}
afterAll(async () => {
  for (const t of templates.values()) await t.pg.dropDatabase(t.name);
});

/** A module's state and latest_version. */
export async function moduleRow(pg: PgCluster, db: string, name: string) {
  const rows = await pg.query<{ state: string; latest_version: string | null }>("SELECT state, latest_version FROM ir_module_module WHERE name = $1", [name], db);
  return rows[0];
}

/** Polls `fn` until it returns a value (errors count as "not yet"). */
export async function until<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 100));
  }
}


import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { OperationFailedError } from "../errors.js";
import type { Queryable } from "../db/connection.js";
import { getConfigParameter, INSTALLED_CHECKSUMS_KEY, setConfigParameter } from "../db/odoo-params.js";

/** click-odoo-update's default exclusions (ODOO-FACTS.md), overridable in `module_auto_update.exclude_patterns`. */
export const DEFAULT_CHECKSUM_EXCLUDE_PATTERNS: readonly string[] = [
  "*.pyc",
  "*.pyo",
  "i18n/*.pot",
  "i18n_extra/*.pot",
  "static/*",
  "tests/*",
];

/** ir_config_parameter key overriding {@link DEFAULT_CHECKSUM_EXCLUDE_PATTERNS} (comma-separated). */
export const EXCLUDE_PATTERNS_KEY = "module_auto_update.exclude_patterns";

/** Options of {@link computeAddonChecksum}. */
export interface AddonChecksumOptions {
  /** fnmatch patterns on the path relative to the addon (default {@link DEFAULT_CHECKSUM_EXCLUDE_PATTERNS}). */
  excludePatterns?: readonly string[];
  /**
   * Active language codes (`res_lang.code`, e.g. `en_US`, `fr_BE`). When non-empty, `.po` files directly in
   * `i18n/` or `i18n_extra/` whose prefix (`fr` of `fr_BE.po`) matches no language's prefix are skipped.
   */
  languages?: readonly string[];
}

/**
 * Turns a Python `fnmatch` pattern into an anchored RegExp: `*` matches anything including `/`, `?` one
 * character, `[seq]` / `[!seq]` character sets.
 *
 * @example fnmatchToRegExp("static/*").test("static/src/js/a.js") // true
 */
export function fnmatchToRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "[") {
      const end = pattern.indexOf("]", i + (pattern[i + 1] === "!" ? 2 : 1) + (pattern[i + 1] === "]" ? 1 : 0));
      if (end === -1) {
        re += "\\[";
        continue;
      }
      let body = pattern.slice(i + 1, end).replace(/\\/g, "\\\\");
      if (body.startsWith("!")) body = `^${body.slice(1)}`;
      else if (body.startsWith("^")) body = `\\${body}`;
      re += `[${body}]`;
      i = end;
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  }
  return new RegExp(`^(?:${re})$`);
}

function compareCodePoints(a: string, b: string): number {
  // Python sorts str by code point; JS's default sort compares UTF-16 units (differs beyond the BMP).
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * Lists the files click-odoo-update hashes for an addon, in its order: `os.walk` top-down (each directory's
 * files sorted, then its subdirectories sorted, recursively; symlinked directories not entered), minus
 * excluded files and `.po` files of inactive languages. Paths are relative, `/`-separated.
 *
 * @example await listChecksumFiles("addons/sale_x", {}) // ["__init__.py", "__manifest__.py", "models/a.py"]
 */
export async function listChecksumFiles(dir: string, options: AddonChecksumOptions = {}): Promise<string[]> {
  const excludes = (options.excludePatterns ?? DEFAULT_CHECKSUM_EXCLUDE_PATTERNS).map(fnmatchToRegExp);
  const keepLangs = new Set((options.languages ?? []).map((l) => l.split("_")[0]!));
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const abs = rel ? path.join(dir, rel) : dir;
    const entries = await readdir(abs, { withFileTypes: true });
    const files: string[] = [];
    const dirs: string[] = [];
    const linkedDirs = new Set<string>();
    for (const e of entries) {
      if (e.isDirectory()) dirs.push(e.name);
      else if (e.isSymbolicLink()) {
        // os.walk lists a symlink to a directory among the directories (and does not enter it).
        const isDir = await stat(path.join(abs, e.name)).then((s) => s.isDirectory(), () => false);
        if (isDir) {
          dirs.push(e.name);
          linkedDirs.add(e.name);
        } else files.push(e.name);
      } else files.push(e.name);
    }
    files.sort(compareCodePoints);
    dirs.sort(compareCodePoints);
    for (const f of files) {
      const filepath = rel ? `${rel}/${f}` : f;
      if (excludes.some((re) => re.test(filepath))) continue;
      if (keepLangs.size > 0 && (rel === "i18n" || rel === "i18n_extra")) {
        const dot = f.lastIndexOf(".");
        // os.path.splitext: a leading dot alone does not start an extension.
        if (dot > 0 && f.slice(dot) === ".po" && !keepLangs.has(f.slice(0, dot).split("_")[0]!)) continue;
      }
      out.push(filepath);
    }
    for (const d of dirs) {
      if (linkedDirs.has(d)) continue;
      await walk(rel ? `${rel}/${d}` : d);
    }
  };
  await walk("");
  return out;
}

/**
 * The click-odoo-update / module_auto_update checksum of one addon directory: sha1 over each file's relative
 * path (UTF-8) followed by its bytes, in {@link listChecksumFiles} order. Byte-for-byte the value stored in
 * `module_auto_update.installed_checksums`.
 *
 * @example
 * const sha1 = await computeAddonChecksum("addons/lab_demo", { languages: ["en_US"] });
 */
export async function computeAddonChecksum(dir: string, options: AddonChecksumOptions = {}): Promise<string> {
  const files = await listChecksumFiles(dir, options);
  const h = createHash("sha1");
  for (const f of files) {
    h.update(Buffer.from(f, "utf8"));
    try {
      h.update(await readFile(path.join(dir, f)));
    } catch (e) {
      throw new OperationFailedError(`cannot read ${path.join(dir, f)} for its addon checksum: ${(e as Error).message}`, {
        code: "CHECKSUM_READ",
        cause: e,
      });
    }
  }
  return h.digest("hex");
}

/** What the database says about checksums: patterns and languages to hash with, and the stored values. */
export interface ChecksumSettings {
  excludePatterns: string[];
  languages: string[];
}

/**
 * Reads the checksum settings of an Odoo database the way click-odoo-update does: the exclude patterns
 * parameter (or the defaults) and the codes of active languages.
 *
 * @example const settings = await readChecksumSettings(client);
 */
export async function readChecksumSettings(db: Queryable): Promise<ChecksumSettings> {
  const raw = await getConfigParameter(db, EXCLUDE_PATTERNS_KEY);
  const excludePatterns = raw ? raw.split(",").map((p) => p.trim()) : [...DEFAULT_CHECKSUM_EXCLUDE_PATTERNS];
  const langs = await db.query<{ code: string }>("SELECT code FROM res_lang WHERE active");
  return { excludePatterns, languages: langs.rows.map((r) => r.code) };
}

/**
 * Reads `module_auto_update.installed_checksums` (`{}` when absent). A module whose directory was missing
 * when they were stored has `false`.
 *
 * @example const stored = await readInstalledChecksums(client); stored.lab_demo // "9f1c…"
 */
export async function readInstalledChecksums(db: Queryable): Promise<Record<string, string | false>> {
  const raw = await getConfigParameter(db, INSTALLED_CHECKSUMS_KEY);
  if (!raw) return {};
  try {
    const v = JSON.parse(raw) as unknown;
    if (v && typeof v === "object" && !Array.isArray(v)) return v as Record<string, string | false>;
  } catch {}
  throw new OperationFailedError(`ir_config_parameter ${INSTALLED_CHECKSUMS_KEY} is not a JSON object`, { code: "CHECKSUMS_INVALID" });
}

/** Options of {@link recordInstalledChecksums}. */
export interface RecordInstalledChecksumsOptions {
  /** A connection to the Odoo database (inside the caller's transaction if it has one). */
  db: Queryable;
  /** Addon directories by module name (e.g. from `discoverAddons`). Installed modules not found here are skipped. */
  addonDirs: Record<string, string>;
}

/**
 * Stores click-odoo-update-compatible checksums for every `installed` module found in `addonDirs`, using the
 * database's own exclude patterns and active languages, as JSON formatted like Python's `json.dumps`.
 * Returns what was stored. Call it after a successful update.
 *
 * @example await recordInstalledChecksums({ db: client, addonDirs: { lab_demo: "/srv/addons/lab_demo" } });
 */
export async function recordInstalledChecksums(options: RecordInstalledChecksumsOptions): Promise<Record<string, string>> {
  const settings = await readChecksumSettings(options.db);
  const installed = await options.db.query<{ name: string }>("SELECT name FROM ir_module_module WHERE state = 'installed' ORDER BY name");
  const out: Record<string, string> = {};
  for (const { name } of installed.rows) {
    const dir = options.addonDirs[name];
    if (dir !== undefined) out[name] = await computeAddonChecksum(dir, settings);
  }
  await setConfigParameter(options.db, INSTALLED_CHECKSUMS_KEY, pythonJsonDumps(out));
  return out;
}

/** `json.dumps(obj)` of a flat string map, as Python formats it (`{"a": "x", "b": "y"}`). */
function pythonJsonDumps(obj: Record<string, string>): string {
  const ascii = (s: string) => JSON.stringify(s).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return `{${Object.entries(obj)
    .map(([k, v]) => `${ascii(k)}: ${ascii(v)}`)
    .join(", ")}}`;
}

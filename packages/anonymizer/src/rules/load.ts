import { ConfigError, type ConfigIssue } from "@odoo-deploy/core/base";
import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { odooPreset } from "../presets/odoo.js";
import { rulesFileSchema, type ColumnRuleInput, type OdooPresetOptions, type RulesFile, type TableRuleInput } from "./schema.js";

/** One table entry of the resolved rules: where it came from and what it says. */
export interface TableEntry {
  /** Table name or glob as written. */
  pattern: string;
  rule: TableRuleInput;
  /** "rules" (the user's file), or the preset's name. */
  origin: string;
}

/** Rules after loading, validation and preset merging, in lookup order (user rules before preset rules). */
export interface Rules {
  secret?: string;
  locale: string;
  /** Table entries, user rules first (exact names before globs), then the preset's. */
  tables: TableEntry[];
  /** Column patterns for every table: user rules first, then the preset's. */
  columns: { pattern: string; rule: ColumnRuleInput; origin: string }[];
  /** Strategy by PostgreSQL type name. */
  types: Record<string, ColumnRuleInput>;
  preset?: OdooPresetOptions;
}

/** Options of {@link loadRules}. */
export interface LoadRulesOptions {
  /** Path of a rules YAML file. */
  file?: string;
  /** Rules YAML text (instead of a file). */
  text?: string;
  /** Rules as an object (instead of YAML). */
  rules?: unknown;
  /** Preset to apply when the file names none (the CLI's `--preset`). */
  preset?: "odoo";
  /** Environment for `${VAR}` interpolation (default `process.env`). */
  env?: Record<string, string | undefined>;
}

/**
 * Loads, interpolates (`${VAR}`) and validates a rules file, and merges the preset it names. Every problem is
 * reported at once in a {@link ConfigError} as `path: message`. With neither file nor rules, the result is the
 * preset alone (or empty rules).
 *
 * @example const rules = loadRules({ file: "anonymize.yaml", preset: "odoo" });
 */
export function loadRules(options: LoadRulesOptions = {}): Rules {
  const env = options.env ?? process.env;
  const source = options.file;
  let raw: unknown = options.rules ?? { version: 1 };
  const issues: ConfigIssue[] = [];
  if (options.file !== undefined || options.text !== undefined) {
    let text: string;
    try {
      text = options.text ?? readFileSync(options.file!, "utf8");
    } catch (e) {
      throw new ConfigError([{ path: "", message: `cannot read rules file: ${(e as Error).message}` }], { source });
    }
    const doc = parseDocument(text, { prettyErrors: true });
    for (const err of doc.errors) {
      const pos = err.linePos?.[0];
      issues.push({ path: pos ? `line ${pos.line}:${pos.col}` : "", message: err.message.split("\n")[0]! });
    }
    if (issues.length) throw new ConfigError(issues, { source });
    raw = doc.toJS() ?? {};
  }
  raw = normalizeNullRules(interpolate(raw, env, [], issues));
  const parsed = rulesFileSchema.safeParse(raw);
  if (!parsed.success) issues.push(...formatZodIssues(parsed.error.issues));
  if (issues.length || !parsed.success) throw new ConfigError(issues, { source });
  return resolveRules(parsed.data, options.preset);
}

function resolveRules(file: RulesFile, presetFlag: "odoo" | undefined): Rules {
  const presetInput = file.preset ?? presetFlag;
  const preset: OdooPresetOptions | undefined =
    presetInput === undefined ? undefined : typeof presetInput === "string" ? { name: presetInput } : presetInput;
  const userTables = Object.entries(file.tables ?? {}).map(([pattern, rule]) => ({ pattern, rule, origin: "rules" }));
  const isGlob = (p: string) => /[*?[]/.test(p);
  const tables: TableEntry[] = [...userTables.filter((t) => !isGlob(t.pattern)), ...userTables.filter((t) => isGlob(t.pattern))];
  const columns = Object.entries(file.columns ?? {}).map(([pattern, rule]) => ({ pattern, rule, origin: "rules" }));
  let types: Record<string, ColumnRuleInput> = {};
  if (preset) {
    const p = odooPreset(preset);
    const pt = Object.entries(p.tables ?? {}).map(([pattern, rule]) => ({ pattern, rule, origin: "preset odoo" }));
    tables.push(...pt.filter((t) => !isGlob(t.pattern)), ...pt.filter((t) => isGlob(t.pattern)));
    columns.push(...Object.entries(p.columns ?? {}).map(([pattern, rule]) => ({ pattern, rule, origin: "preset odoo" })));
    types = { ...p.types };
  }
  return {
    ...(file.secret ? { secret: file.secret } : {}),
    locale: file.locale ?? "en",
    tables,
    columns,
    types: { ...types, ...file.types },
    ...(preset ? { preset } : {}),
  };
}

/** YAML `null` where a column rule is expected means the `null` strategy (a constant's `value: null` stays). */
function normalizeNullRules(file: unknown): unknown {
  const rule = (r: unknown): unknown => {
    if (r === null) return "null";
    if (r && typeof r === "object" && !Array.isArray(r)) {
      const o = { ...(r as Record<string, unknown>) };
      if ("each" in o) o.each = rule(o.each);
      if ("default" in o) o.default = rule(o.default);
      if (o.cases && typeof o.cases === "object") o.cases = map(o.cases);
      return o;
    }
    return r;
  };
  const map = (m: unknown) =>
    m && typeof m === "object" && !Array.isArray(m) ? Object.fromEntries(Object.entries(m).map(([k, v]) => [k, rule(v)])) : m;
  if (!file || typeof file !== "object" || Array.isArray(file)) return file;
  const f = { ...(file as Record<string, unknown>) };
  if ("columns" in f) f.columns = map(f.columns);
  if ("types" in f) f.types = map(f.types);
  if (f.tables && typeof f.tables === "object" && !Array.isArray(f.tables)) {
    f.tables = Object.fromEntries(
      Object.entries(f.tables).map(([k, t]) => [
        k,
        t && typeof t === "object" && !Array.isArray(t) && "columns" in t ? { ...t, columns: map((t as { columns: unknown }).columns) } : t,
      ]),
    );
  }
  return f;
}

/** `${VAR}` / `${VAR:-default}` in every string; `$${` is a literal `${`. Missing variables are issues. */
function interpolate(v: unknown, env: Record<string, string | undefined>, path: string[], issues: ConfigIssue[]): unknown {
  if (typeof v === "string") {
    return v.replace(/\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, escaped: string | undefined, name: string, def: string | undefined) => {
      if (escaped) return whole.slice(1);
      const got = env[name];
      if (got !== undefined && got !== "") return got;
      if (def !== undefined) return def;
      issues.push({ path: path.join("."), message: `environment variable ${name} is not set` });
      return "";
    });
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolate(x, env, [...path, String(i)], issues));
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolate(x, env, [...path, k], issues)]));
  }
  return v;
}

type ZodIssue = z.core.$ZodIssue;

/**
 * Zod issues as `path: message`, with unions explained by the branch that got furthest (an unknown strategy
 * name says so, a known strategy with a bad parameter names the parameter).
 */
export function formatZodIssues(issues: readonly ZodIssue[], prefix: (string | number)[] = []): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === "symbol" ? String(p) : p))];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const branches = issue.errors.filter((b) => b.length > 0);
      const depth = (b: readonly ZodIssue[]) => Math.max(...b.map((i) => i.path.length + (i.code === "invalid_union" ? 1 : 0)));
      const best = [...branches].sort((a, b) => depth(b) - depth(a))[0];
      const isShallowEnum = (b: readonly ZodIssue[]) => b.every((i) => i.path.length === 0 && i.code === "invalid_value");
      if (best && !(isShallowEnum(best) && branches.length > 1 && depth(best) === 0)) {
        out.push(...formatZodIssues(best, path));
        continue;
      }
      out.push({ path: path.join("."), message: "expected a strategy name (keep, null, email, …) or an object with a known strategy" });
      continue;
    }
    if (issue.code === "invalid_union" && issue.path.at(-1) === "strategy") {
      out.push({ path: path.join("."), message: `unknown strategy; expected one of ${(issue as { options?: unknown[] }).options?.join(", ") ?? "a known strategy"}` });
      continue;
    }
    out.push({ path: path.join("."), message: issue.message });
  }
  return out;
}

/** The names of tables and columns a rule points at, for `check` to report rules that match nothing. */
export function rulePatterns(rules: Rules): string[] {
  return rules.tables.map((t) => t.pattern);
}

import type { FileChange } from "./git-tree.js";

/**
 * What a changed file means for its module:
 * - `unchanged`: nothing in the database depends on it (tests, docs, the module's description page);
 * - `assets`: static assets — no update needed, but browsers must load new bundles (noted);
 * - `i18n`: a translation — update, flagged so migrate can add `--i18n-overwrite`;
 * - `update`: code or data Odoo loads on update (Python, XML, CSV, SQL, the manifest, anything unknown).
 */
export type ChangeEffect = "unchanged" | "assets" | "i18n" | "update";

/** One classification rule: a glob on the path relative to the module directory, and its effect. */
export interface ClassificationRule {
  /**
   * `*` matches within one path segment, `**` across segments (`**\/` also matches no directory at all),
   * `?` one character. Anchored at the module root: `README*` matches only top-level READMEs.
   */
  pattern: string;
  effect: ChangeEffect;
  /** Words shown in the module's reasons (default: the pattern). */
  label?: string;
}

/** The built-in rules, tried in order after any configured ones; the first match wins. */
export const DEFAULT_CLASSIFICATION_RULES: readonly ClassificationRule[] = [
  { pattern: "tests/**", effect: "unchanged", label: "tests" },
  { pattern: "README*", effect: "unchanged", label: "docs" },
  { pattern: "readme/**", effect: "unchanged", label: "docs" },
  { pattern: "static/description/**", effect: "unchanged", label: "module description" },
  { pattern: "static/**", effect: "assets", label: "static assets" },
  { pattern: "i18n/*.pot", effect: "unchanged", label: "translation template" },
  { pattern: "i18n_extra/*.pot", effect: "unchanged", label: "translation template" },
  { pattern: "i18n/*.po", effect: "i18n", label: "translations" },
  { pattern: "i18n_extra/*.po", effect: "i18n", label: "translations" },
  { pattern: "__manifest__.py", effect: "update", label: "manifest" },
  { pattern: "__openerp__.py", effect: "update", label: "manifest" },
  { pattern: "**/*.py", effect: "update", label: "Python" },
  { pattern: "**/*.xml", effect: "update", label: "XML" },
  { pattern: "**/*.csv", effect: "update", label: "CSV" },
  { pattern: "**/*.sql", effect: "update", label: "SQL" },
  { pattern: "**", effect: "update", label: "other files" },
];

/** Options of {@link globToRegExp}. */
export interface GlobOptions {
  /**
   * Name globs (tables, columns, `switch` cases) instead of path globs: `*` and `?` match any characters,
   * `/` included, and `[abc]` is a character class.
   */
  names?: boolean;
}

/**
 * Compiles a glob to an anchored RegExp: a path glob (classification rules: `**`, `*` and `?` within one
 * path segment) or, with `names`, a name glob.
 *
 * @example globToRegExp("**\/*.py").test("models/sale.py") // true
 * @example globToRegExp("res_partner*", { names: true }).test("res_partner_bank") // true
 */
export function globToRegExp(glob: string, options: GlobOptions = {}): RegExp {
  if (options.names) return new RegExp(`^${glob.replace(/[.+^${}()|\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  let re = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === "*" && glob[i + 1] === "*") {
      if (glob[i + 2] === "/") {
        re += "(?:.*/)?";
        i += 2;
      } else {
        re += ".*";
        i += 1;
      }
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`, "s");
}

const compiledCache = new WeakMap<readonly ClassificationRule[], (ClassificationRule & { re: RegExp })[]>();
const NO_RULES: readonly ClassificationRule[] = [];

function compiled(rules: readonly ClassificationRule[]): (ClassificationRule & { re: RegExp })[] {
  const key = rules.length === 0 ? NO_RULES : rules;
  let c = compiledCache.get(key);
  if (!c) {
    c = [...rules, ...DEFAULT_CLASSIFICATION_RULES].map((r) => ({ ...r, re: globToRegExp(r.pattern) }));
    compiledCache.set(key, c);
  }
  return c;
}

/** What {@link classifyChanges} concludes for one module. */
export interface ModuleClassification {
  /** `update` when any file needs it (or `i18n`), else `unchanged`. */
  effect: "update" | "unchanged";
  /** A translation file changed: migrate should pass `--i18n-overwrite`. */
  i18n: boolean;
  /** Static assets changed: no update, but bundles are rebuilt by the browser on next load. */
  assets: boolean;
  /** One line per rule that matched, naming (some of) the files. */
  reasons: string[];
}

/**
 * Classifies a module's changed files by the first matching rule (configured rules first, then
 * {@link DEFAULT_CLASSIFICATION_RULES}).
 *
 * @example classifyChanges([{ path: "tests/test_a.py", status: "modified" }]).effect // "unchanged"
 */
export function classifyChanges(changes: readonly FileChange[], rules: readonly ClassificationRule[] = []): ModuleClassification {
  const all = compiled(rules);
  const groups = new Map<string, { effect: ChangeEffect; label: string; files: string[] }>();
  for (const ch of changes) {
    const rule = all.find((r) => r.re.test(ch.path))!;
    const label = rule.label ?? rule.pattern;
    const key = `${rule.effect}\0${label}`;
    const g = groups.get(key) ?? { effect: rule.effect, label, files: [] };
    g.files.push(ch.status === "modified" ? ch.path : `${ch.path} (${ch.status})`);
    groups.set(key, g);
  }
  const effects = new Set([...groups.values()].map((g) => g.effect));
  const reasons = [...groups.values()].map((g) => {
    const verb = g.effect === "update" || g.effect === "i18n" ? "update" : g.effect === "assets" ? "no update (assets are rebuilt on next load)" : "no update";
    const shown = g.files.slice(0, 3).join(", ");
    const more = g.files.length > 3 ? ` and ${g.files.length - 3} more` : "";
    return `${g.label} changed → ${verb}: ${shown}${more}`;
  });
  return {
    effect: effects.has("update") || effects.has("i18n") ? "update" : "unchanged",
    i18n: effects.has("i18n"),
    assets: effects.has("assets"),
    reasons,
  };
}

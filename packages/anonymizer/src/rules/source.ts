import { loadRules, type Rules } from "./load.js";

/** Where rules come from, as every primitive of the anonymizer accepts them. */
export interface RulesSource {
  /** Already loaded rules (wins over `rulesFile`/`preset`). */
  rules?: Rules;
  /** A rules YAML file. */
  rulesFile?: string;
  /** A preset to use when the rules file names none. */
  preset?: "odoo";
  /** Environment for `${VAR}` in the rules file (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * The rules of a {@link RulesSource}.
 *
 * @example const rules = resolveRulesSource({ preset: "odoo" });
 */
export function resolveRulesSource(src: RulesSource): Rules {
  if (src.rules) return src.rules;
  return loadRules({
    ...(src.rulesFile ? { file: src.rulesFile } : {}),
    ...(src.preset ? { preset: src.preset } : {}),
    ...(src.env ? { env: src.env } : {}),
  });
}

import type { ConfigIssue } from "@odoo-deploy/core";

/**
 * Replaces `${VAR}` (and `${VAR:-default}`) in every string of a parsed YAML value with environment
 * variables; `$${` stays a literal `${`. Missing variables become config issues at the key's path. A value so
 * substituted is not a secret for that alone (`odooBin: ${ODOO_BIN}`): the loader finds secrets by where
 * they stand (secret-named keys, URL passwords).
 *
 * @example interpolate({ url: "postgres://u:${PGPASS}@h/db" }, { PGPASS: "x" })
 */
export function interpolate(
  value: unknown,
  env: Record<string, string | undefined>,
  path: string[] = [],
  out: { issues: ConfigIssue[] } = { issues: [] },
): { value: unknown; issues: ConfigIssue[] } {
  const walk = (v: unknown, p: string[]): unknown => {
    if (typeof v === "string") {
      return v.replace(/\$(\$)?\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (whole, escaped: string | undefined, name: string, def: string | undefined) => {
        if (escaped) return whole.slice(1);
        const got = env[name];
        if (got !== undefined && got !== "") return got;
        if (def !== undefined) return def;
        out.issues.push({ path: p.join("."), message: `environment variable ${name} is not set` });
        return "";
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...p, String(i)]));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...p, k])]));
    return v;
  };
  return { value: walk(value, path), issues: out.issues };
}

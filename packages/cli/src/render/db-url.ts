/**
 * Connection strings as people read them: `odoo_demo on the local socket, port 41293`, `odoo_prod on
 * db.internal:5432`. Human output shows these instead of URLs, so no password (nor its `***`) and no socket
 * path clutters a line; `--json` keeps the (redacted) URLs.
 */

const DB_URL = /postgres(?:ql)?:\/\/[^\s"'<>`\p{Cc}]+/gu;

/**
 * The short description of a PostgreSQL URL; the URL as it was when it does not parse.
 *
 * @example shortDbUrl("postgres:///odoo_demo?host=/tmp/pg&port=41293") // "odoo_demo on the local socket, port 41293"
 */
export function shortDbUrl(url: string): string {
  // Parsed by hand: `postgres://user:***@/db?host=/socket` (credentials, no host) is valid for libpq but not for URL.
  const m = /^postgres(?:ql)?:\/\/(?:[^@/?#]*@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/.exec(url);
  if (!m) return url;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  const params = new URLSearchParams(m[3] ?? "");
  const [, authority = "", path = ""] = m;
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(\d+))?$/.exec(authority);
  const db = decode(path) || params.get("dbname") || "the default database";
  const host = params.get("host") ?? (hostPort?.[1] ? decode(hostPort[1]) : undefined);
  const port = params.get("port") ?? hostPort?.[2];
  if (host === undefined || host.startsWith("/")) return `${db} on the local socket${port ? `, port ${port}` : ""}`;
  return `${db} on ${host}${port ? `:${port}` : ""}`;
}

/**
 * Every PostgreSQL URL in a line of text replaced by its {@link shortDbUrl} (trailing punctuation stays outside).
 *
 * @example shortenDbUrls("restored into postgres://u:***@db/odoo.") // "restored into odoo on db."
 */
export function shortenDbUrls(text: string): string {
  return text.replace(DB_URL, (match) => {
    const tail = /[).,;:]+$/.exec(match)?.[0] ?? "";
    return shortDbUrl(match.slice(0, match.length - tail.length)) + tail;
  });
}

import type { Queryable } from "../db/connection.js";

/** A session connected to the database that is not odoo-deploy's. */
export interface OtherSession {
  pid: number;
  applicationName: string | null;
  user: string | null;
  clientAddr: string | null;
  state: string | null;
  backendStart: string | null;
}

/** Prefix of the `application_name` of every connection odoo-deploy opens (see `connect`). */
export const OWN_APPLICATION_PREFIX = "odoo-deploy";

/**
 * Client sessions connected to the current database other than odoo-deploy's own (this connection, and
 * those whose `application_name` starts with `odoo-deploy`): a running Odoo server, its cron workers, a
 * shell. Updating under them risks their writes racing the update and their registry going stale.
 *
 * @example const others = await otherSessions(client); if (others.length > 0) refuse();
 */
export async function otherSessions(client: Queryable): Promise<OtherSession[]> {
  const r = await client.query<{
    pid: number;
    application_name: string | null;
    usename: string | null;
    client_addr: string | null;
    state: string | null;
    backend_start: string | null;
  }>(
    `SELECT pid, application_name, usename, client_addr::text AS client_addr, state, backend_start::text AS backend_start
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
        AND coalesce(application_name, '') NOT LIKE $1
      ORDER BY pid`,
    [`${OWN_APPLICATION_PREFIX}%`],
  );
  return r.rows.map((x) => ({
    pid: x.pid,
    applicationName: x.application_name,
    user: x.usename,
    clientAddr: x.client_addr,
    state: x.state,
    backendStart: x.backend_start,
  }));
}

/** One line per session for a report: `pid 123 (odoo-4711, 127.0.0.1, idle)`. */
export function describeSessions(sessions: readonly OtherSession[]): string {
  return sessions
    .map((s) => `pid ${s.pid} (${[s.applicationName || "no application name", s.clientAddr ?? "local socket", s.state].filter(Boolean).join(", ")})`)
    .join("; ");
}

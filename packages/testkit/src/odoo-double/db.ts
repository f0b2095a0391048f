/** A counted PostgreSQL session for the double (Odoo logs query counts per module). */
import pg from "pg";

export interface ConnParams {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database: string;
}

/** A pg client that counts the queries it runs. */
export class Session {
  queries = 0;
  constructor(readonly client: pg.Client) {}

  static async open(p: ConnParams): Promise<Session> {
    const client = new pg.Client({
      ...(p.host ? { host: p.host } : {}),
      ...(p.port ? { port: p.port } : {}),
      ...(p.user ? { user: p.user } : {}),
      ...(p.password ? { password: p.password } : {}),
      database: p.database,
      application_name: "odoo-double",
    });
    await client.connect();
    return new Session(client);
  }

  async q<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<R[]> {
    this.queries++;
    return (await this.client.query<R>(sql, params)).rows;
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** PostgreSQL's quoting of an identifier. */
export function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

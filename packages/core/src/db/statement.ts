/**
 * Parsing a statement on the server without running it. The extended query protocol's Parse refuses a text
 * holding more than one statement ("cannot insert multiple commands into a prepared statement"), which the simple
 * protocol — used by COPY streams and by any query without parameters — would run one after the other. Parse
 * also analyses a query (its tables, columns and types exist, a WHERE is boolean); a utility statement such as
 * COPY is only parsed, its query analysed when it runs.
 */
import type pg from "pg";

/** What the server said about a statement it parsed. */
export interface DescribedStatement {
  /** Names of the result columns; null for a statement that returns no rows (or a utility statement). */
  columns: string[] | null;
}

/**
 * Sends `text` through Parse and Describe (extended protocol), never Execute: PostgreSQL's error (a
 * `pg.DatabaseError` with its SQLSTATE, e.g. `42601` for two statements) is thrown as it is. In a transaction
 * block, a refused text aborts the transaction (use a savepoint to go on).
 *
 * @example
 * await describeStatement(client, `COPY (${query}) TO STDOUT`); // throws when `query` smuggles a second statement
 */
export function describeStatement(client: pg.Client, text: string): Promise<DescribedStatement> {
  return new Promise((resolve, reject) => {
    let columns: string[] | null = null;
    // A Submittable (pg's extension point, as pg-cursor uses): pg hands it the connection and routes the replies.
    const submittable = {
      submit(connection: ParseConnection) {
        connection.parse({ text, name: "", types: [] });
        connection.describe({ type: "S", name: "" });
        connection.sync();
      },
      handleRowDescription(msg: { fields: { name: string }[] }) {
        columns = msg.fields.map((f) => f.name);
      },
      // pg forgets the active query on an error and ignores the ReadyForQuery that follows it.
      handleError: (e: Error) => reject(e),
      handleReadyForQuery: () => resolve({ columns }),
      handleCommandComplete() {},
      handleDataRow() {},
      handleEmptyQuery() {},
      handlePortalSuspended() {},
      handleCopyInResponse() {},
      handleCopyData() {},
    };
    client.query(submittable as unknown as pg.Submittable);
  });
}

interface ParseConnection {
  parse(query: { text: string; name: string; types: number[] }): void;
  describe(msg: { type: "S" | "P"; name: string }): void;
  sync(): void;
}

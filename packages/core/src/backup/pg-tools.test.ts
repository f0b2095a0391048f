import { test, expect } from "@odoo-deploy/testkit/vitest";
import { AbortedError, EnvironmentError, OperationFailedError } from "../errors.js";
import { createLocalRunner } from "../runner/local.js";
import { withDatabase } from "../db/connection.js";
import { runPgTool } from "./pg-tools.js";

test("runPgTool returns a tool's output, and types its failures with redacted stderr", async ({ pg, db }) => {
  const runner = createLocalRunner();
  const psql = pg.bin("psql");
  const ok = await runPgTool(runner, [psql, "-X", "-At", "-c", "SELECT 40 + 2"], { dbUrl: db.url, what: "adding" });
  expect(ok.stdout.trim()).toBe("42");
  // A server error is the operation's failure, named after the tool; the message says what was being done.
  const failed = runPgTool(runner, [psql, "-X", "-v", "ON_ERROR_STOP=1", "-c", "SELECT * FROM nowhere"], { dbUrl: db.url, what: "reading nowhere" });
  await expect(failed).rejects.toBeInstanceOf(OperationFailedError);
  await expect(failed).rejects.toMatchObject({ code: "PSQL_FAILED", message: expect.stringMatching(/psql failed reading nowhere .*relation "nowhere" does not exist/) });
  // A missing database is the environment's; the password in the URL appears nowhere.
  const u = new URL(withDatabase(db.tcpUrl, "no_such_db"));
  u.username = "postgres";
  u.password = "s3cr3t-pw";
  const secretUrl = u.toString();
  const missing = await runPgTool(runner, [psql, "-X", "-c", "SELECT 1"], { dbUrl: secretUrl, what: "connecting" }).catch((e: unknown) => e);
  expect(missing).toBeInstanceOf(EnvironmentError);
  expect(JSON.stringify({ m: (missing as Error).message, d: (missing as EnvironmentError).details })).not.toContain("s3cr3t-pw");
  // Aborted: an AbortedError, not a failure.
  const ac = new AbortController();
  const slow = runPgTool(runner, [psql, "-X", "-c", "SELECT pg_sleep(30)"], { dbUrl: db.url, what: "sleeping", signal: ac.signal });
  setTimeout(() => ac.abort(), 300);
  await expect(slow).rejects.toBeInstanceOf(AbortedError);
});

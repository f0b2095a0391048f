/**
 * What makes a copy a *staging*: its own URL (frozen, or Odoo rewrites `web.base.url` from the first admin who
 * logs in), an optional ribbon, and the user's own SQL — on the new copy, before anyone can reach it.
 */
import { readFile } from "node:fs/promises";
import { OperationFailedError, UsageError, withClient } from "@odoo-deploy/core/base";
import { setConfigParameter } from "@odoo-deploy/core";

/** Settings written by {@link applyStagingSettings}. */
export interface StagingSettings {
  baseUrl?: string;
  ribbon?: string;
}

/**
 * Sets `web.base.url` (and `web.base.url.freeze`) and the ribbon in one transaction; returns what it set. The
 * ribbon is `ribbon.name`, read by the OCA module `web_environment_ribbon` when staging has it installed.
 *
 * @example await applyStagingSettings(url, { baseUrl: "https://staging.example.com", ribbon: "STAGING" });
 */
export async function applyStagingSettings(dbUrl: string, settings: StagingSettings, signal?: AbortSignal): Promise<string[]> {
  const params: [string, string][] = [];
  if (settings.baseUrl !== undefined) {
    let url: URL;
    try {
      url = new URL(settings.baseUrl);
    } catch {
      throw new UsageError(`--base-url is not a URL: ${settings.baseUrl}`, { code: "BAD_BASE_URL" });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`--base-url must be http(s): ${settings.baseUrl}`, { code: "BAD_BASE_URL" });
    params.push(["web.base.url", settings.baseUrl.replace(/\/+$/, "")], ["web.base.url.freeze", "True"]);
  }
  if (settings.ribbon !== undefined) params.push(["ribbon.name", settings.ribbon]);
  if (!params.length) return [];
  await withClient(
    dbUrl,
    async (c) => {
      await c.query("BEGIN");
      for (const [key, value] of params) await setConfigParameter(c, key, value);
      await c.query("COMMIT");
    },
    { signal, applicationName: "odoo-deploy refresh-staging" },
  );
  return params.map(([k]) => k);
}

/**
 * Runs the user's SQL file on the new copy in one transaction: any error rolls all of it back and is a judged
 * failure naming the file. (A file that commits on its own escapes the transaction; that is the file's choice.)
 *
 * @example await runPostSql(url, "staging.sql");
 */
export async function runPostSql(dbUrl: string, file: string, signal?: AbortSignal): Promise<{ file: string; bytes: number }> {
  const sql = await readFile(file, "utf8").catch((e: NodeJS.ErrnoException) => {
    throw new UsageError(`--post-sql ${file}: ${e.code === "ENOENT" ? "no such file" : e.message}`, { code: "POST_SQL_UNREADABLE" });
  });
  await withClient(
    dbUrl,
    async (c) => {
      await c.query("BEGIN");
      try {
        // The simple query protocol runs the whole file, statement after statement, inside this transaction.
        await c.query(sql);
        await c.query("COMMIT");
      } catch (e) {
        await c.query("ROLLBACK").catch(() => {});
        throw new OperationFailedError(`--post-sql ${file} failed, nothing of it applied: ${(e as Error).message}`, { code: "POST_SQL_FAILED", cause: e });
      }
    },
    { signal, applicationName: "odoo-deploy refresh-staging" },
  );
  return { file, bytes: Buffer.byteLength(sql) };
}

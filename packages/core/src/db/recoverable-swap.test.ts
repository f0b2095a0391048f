import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Pg from "pg";
import type { PgCluster } from "@odoo-deploy/testkit";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { tempDir } from "../backup/test-helpers.js";
import { recoverSwaps } from "./recoverable-swap.js";
import { swapDatabase } from "./swap.js";

const moduleUrl = new URL("./recoverable-swap.ts", import.meta.url);
const restoreIntoUrl = new URL("../backup/restore-into.ts", import.meta.url);

/**
 * Runs prepareSwap + commit of `database` (replacement `<db>_restore_<id>` made by the script, with a filestore
 * holding `new`) in a child process stopped at `point`, then kills it for real.
 */
async function killSwapAt(pg: PgCluster, database: string, fsDir: string, journalDir: string, point: string): Promise<void> {
  const script = path.join(os.tmpdir(), `swap-child-${process.pid}-${Date.now()}.mts`);
  writeFileSync(
    script,
    `import { prepareSwap } from ${JSON.stringify(fileURLToPath(moduleUrl))};
import { createDatabase } from ${JSON.stringify(fileURLToPath(restoreIntoUrl))};
import { mkdirSync, writeFileSync } from "node:fs";
const [url, database, dir, journalDir] = process.argv.slice(2);
const swap = await prepareSwap({ dbUrl: url, database, journalDir, filestore: { dir } });
await createDatabase(url, swap.replacement);
mkdirSync(swap.filestore.replacement + "/aa", { recursive: true });
writeFileSync(swap.filestore.replacement + "/aa/new", "new");
await swap.commit();
`,
  );
  const child = spawn(process.execPath, ["--import", "tsx", script, pg.url("postgres"), database, fsDir, journalDir], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ODOO_DEPLOY_FAILPOINT: point },
  });
  const exit = new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes(`odoo-deploy failpoint: ${point}`)) resolve();
    });
    void exit.then((c) => reject(new Error(`exited ${c}: ${err}`)));
  });
  child.kill("SIGKILL");
  await exit;
  rmSync(script, { force: true });
}

describe("recoverSwaps", () => {
  test.for(["swap:between-filestore-renames", "swap:before-commit"])(
    "killed at %s, while Odoo went on writing attachments: the undo keeps what Odoo wrote in the filestore that stays",
    { timeout: 120_000 },
    async (point, { pg, db }) => {
      const work = tempDir("rs-odoo-writes-");
      const fsDir = path.join(work, "filestore", db.name);
      mkdirSync(path.join(fsDir, "bb"), { recursive: true });
      writeFileSync(path.join(fsDir, "bb", "old"), "old");
      const journalDir = path.join(work, "journal");
      await killSwapAt(pg, db.name, fsDir, journalDir, point);
      // Odoo, serving the old database again once the killed transaction rolled back, writes an attachment into
      // whatever directory is now at the filestore's path (it makes it when missing).
      mkdirSync(path.join(fsDir, "cc"), { recursive: true });
      writeFileSync(path.join(fsDir, "cc", "written-meanwhile"), "odoo wrote this");

      const r = await recoverSwaps({ dbUrl: db.url, database: db.name, journalDir });
      expect(r.ok, JSON.stringify(r.checks)).toBe(true);
      expect(r.swaps.map((s) => s.outcome)).toEqual(["undone"]);
      expect(readdirSync(fsDir).sort()).toEqual(["bb", "cc"]);
      expect(readFileSync(path.join(fsDir, "cc", "written-meanwhile"), "utf8")).toBe("odoo wrote this");
      expect(readFileSync(path.join(fsDir, "bb", "old"), "utf8")).toBe("old");
      expect(readdirSync(path.dirname(fsDir))).toEqual([db.name]);
      expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${db.name}\\_%`])).toEqual([]);
      expect(existsSync(journalDir) ? readdirSync(journalDir) : []).toEqual([]);
      // A second run finds nothing left to do.
      expect((await recoverSwaps({ dbUrl: db.url, database: db.name, journalDir })).swaps).toEqual([]);
      rmSync(work, { recursive: true, force: true });
    },
  );
});

describe("swapDatabase under a client that keeps reconnecting", () => {
  test("the rename waits on its lock while the sessions are terminated; the client then finds the new database", async ({ pg, db }) => {
    const repl = `${db.name}_new`;
    await pg.createDatabase(repl);
    await pg.query("CREATE TABLE marker (v text); INSERT INTO marker VALUES ('new')", [], repl);
    await pg.query("CREATE TABLE marker (v text); INSERT INTO marker VALUES ('old')", [], db.name);
    // An Odoo worker pool in miniature: reconnects as soon as it is terminated.
    let stop = false;
    const seen = new Set<string>();
    const errors: string[] = [];
    const worker = (async () => {
      while (!stop) {
        const c = new Pg.Client({ connectionString: db.url });
        c.on("error", () => {});
        try {
          await c.connect();
          while (!stop) seen.add((await c.query<{ v: string }>("SELECT v FROM marker")).rows[0]!.v);
        } catch (e) {
          errors.push((e as Error).message);
        } finally {
          await c.end().catch(() => {});
        }
      }
    })();
    await new Promise((res) => setTimeout(res, 300));
    const r = await swapDatabase({ dbUrl: db.url, database: db.name, replacement: repl, terminateTimeoutMs: 30_000 });
    await new Promise((res) => setTimeout(res, 500));
    stop = true;
    await worker;
    expect(r.terminatedSessions).toBeGreaterThanOrEqual(1);
    expect([...seen].sort()).toEqual(["new", "old"]);
    // What the client saw: terminated, or turned away because the database was renamed; never "not accepting".
    expect(errors.filter((m) => /not currently accepting connections/.test(m))).toEqual([]);
    expect(await pg.query("SELECT datallowconn FROM pg_database WHERE datname = ANY($1)", [[db.name, r.asideName]])).toEqual([{ datallowconn: true }, { datallowconn: true }]);
    await pg.dropDatabase(r.asideName!);
  });
});

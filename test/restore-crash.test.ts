import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { backupDatabase, restoreDatabase } from "@odoo-deploy/core";
import type { PgCluster } from "@odoo-deploy/testkit";
import { afterAll, describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { odooFile, odooShapedDb } from "../packages/core/src/backup/test-helpers.js";

// `restore --swap` killed for real (SIGKILL, or SIGHUP as a dropped terminal does) at every step, then run again:
// production must accept connections at once, and after the rerun each database must sit with its own filestore
// and nothing of the killed run may be left.

const bin = fileURLToPath(new URL("../packages/cli/src/bin.ts", import.meta.url));

/** An Odoo-shaped database whose one attachment (and `marker`) says `label`, and its filestore at `fsDir`. */
async function odooPair(pg: PgCluster, db: string, fsDir: string, label: string): Promise<void> {
  await odooShapedDb(pg, db, [`attachment of ${label}`], fsDir);
  await pg.query(`CREATE TABLE marker (v text); INSERT INTO marker VALUES ('${label}');`, [], db);
}

/** Every file under `dir`, relative. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else out.push(r);
    }
  };
  walk("");
  return out.sort();
}

interface Case {
  target: string;
  fsDir: string;
  stateDir: string;
}

describe("restore --swap killed at every step, then run again", () => {
  let backupPath: string;
  let root: string;
  let templateDb: string;
  let templateFs: string;
  let ready: Promise<void> | undefined;

  /** Once for all cases: the backup (a database saying "new" with its filestore) and production's template ("old"). */
  async function setUp(pg: PgCluster): Promise<void> {
    root = mkdtempSync(path.join(os.tmpdir(), "restore-crash-"));
    const source = `crash_src_${Date.now().toString(36)}`;
    await pg.createDatabase(source);
    const srcFs = path.join(root, "src-filestore");
    await odooPair(pg, source, srcFs, "new");
    const b = await backupDatabase({ dbUrl: pg.url(source), directory: path.join(root, "backups"), filestoreDir: srcFs, rowCounts: true });
    expect(b.ok, JSON.stringify(b.steps)).toBe(true);
    backupPath = b.path!;
    await pg.dropDatabase(source);
    templateDb = `crash_old_${Date.now().toString(36)}`;
    await pg.createDatabase(templateDb);
    templateFs = path.join(root, "old-filestore");
    await odooPair(pg, templateDb, templateFs, "old");
  }

  afterAll(async () => {
    if (!ready) return;
    await ready.catch(() => {});
    rmSync(root, { recursive: true, force: true });
  });

  async function newCase(pg: PgCluster, tag: string): Promise<Case> {
    await (ready ??= setUp(pg));
    // Short enough that `<target>_before_<run id>` is not cut to 63 bytes (the names are matched by prefix below).
    const target = `crash_${tag.slice(0, 12)}_${Date.now().toString(36)}`;
    await pg.createDatabase(target, { template: templateDb });
    const fsDir = path.join(root, tag, "filestore", target);
    mkdirSync(path.dirname(fsDir), { recursive: true });
    cpSync(templateFs, fsDir, { recursive: true });
    return { target, fsDir, stateDir: path.join(root, tag, "state") };
  }

  /** Starts `odoo-deploy restore --swap` stopping at `point`; resolves once it is there. */
  async function startStopped(pg: PgCluster, c: Case, point: string): Promise<{ child: ChildProcess; exit: Promise<number | null> }> {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=source", bin, "restore", backupPath, "--db-url", pg.url(c.target), "--filestore-dir", c.fsDir, "--swap", "--json"],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ODOO_DEPLOY_FAILPOINT: point, ODOO_DEPLOY_STATE_DIR: c.stateDir } },
    );
    const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    let stderr = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr!.on("data", (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes(`odoo-deploy failpoint: ${point}`)) resolve();
      });
      void exit.then((code) => reject(new Error(`exited ${code} before ${point}: ${stderr}`)));
    });
    return { child, exit };
  }

  /** Databases of the case's target, by name, with whether they accept connections. */
  async function databases(pg: PgCluster, c: Case): Promise<{ datname: string; datallowconn: boolean }[]> {
    return pg.query("SELECT datname, datallowconn FROM pg_database WHERE datname = $1 OR datname LIKE $2 ORDER BY 1", [c.target, `${c.target}\\_%`]);
  }

  /** Each database of the case and the filestore of its name hold the same label, and its attachments' files. */
  async function assertPairs(pg: PgCluster, c: Case): Promise<Record<string, string>> {
    const parent = path.dirname(c.fsDir);
    const labels: Record<string, string> = {};
    for (const { datname, datallowconn } of await databases(pg, c)) {
      expect(datallowconn, `${datname} accepts connections`).toBe(true);
      const label = (await pg.query<{ v: string }>("SELECT v FROM marker", [], datname))[0]!.v;
      const refs = (await pg.query<{ f: string }>("SELECT store_fname AS f FROM ir_attachment ORDER BY 1", [], datname)).map((r) => r.f);
      expect(filesUnder(path.join(parent, datname)), `${datname} sits with its own filestore`).toEqual(refs);
      expect(refs).toEqual([odooFile(`attachment of ${label}`).rel]);
      labels[datname] = label;
    }
    // Nothing else beside the filestores: no partial, replacement or undo directory, no journal.
    expect(readdirSync(parent).sort()).toEqual(Object.keys(labels).sort());
    expect(existsSync(path.join(c.stateDir, "swaps")) ? readdirSync(path.join(c.stateDir, "swaps")) : []).toEqual([]);
    return labels;
  }

  const points = [
    { point: "restore:prepared", outcome: "undone" },
    { point: "restore:created", outcome: "undone" },
    { point: "restore:filestore-file", outcome: "undone" },
    { point: "restore:before-swap", outcome: "undone" },
    { point: "swap:in-transaction", outcome: "undone" },
    { point: "swap:between-filestore-renames", outcome: "undone" },
    { point: "swap:before-commit", outcome: "undone" },
    { point: "swap:after-commit", outcome: "finished" },
  ] as const;

  test.for(points)("SIGKILL at $point: connections accepted, the rerun reports it $outcome, pairs intact, nothing left", { timeout: 180_000 }, async ({ point, outcome }, { pg }) => {
    const c = await newCase(pg, point.split(":")[1]!.replace(/\W/g, ""));
    const { child, exit } = await startStopped(pg, c, point);
    child.kill("SIGKILL");
    expect(await exit).toBe(null);
    // At once, before any rerun: production accepts connections (nothing committed ALLOW_CONNECTIONS false) and
    // answers; a transaction the killed run held open was rolled back.
    for (const d of await databases(pg, c)) expect(d.datallowconn, d.datname).toBe(true);
    expect((await pg.query<{ v: string }>("SELECT v FROM marker", [], c.target))[0]!.v).toBe(outcome === "finished" ? "new" : "old");

    const r = await restoreDatabase({ path: backupPath, dbUrl: pg.url(c.target), filestoreDir: c.fsDir, swap: true, journalDir: path.join(c.stateDir, "swaps") });
    expect(r.ok, JSON.stringify(r.steps)).toBe(true);
    expect(r.steps[0]).toMatchObject({ name: "recover", status: "ok" });
    expect(r.recovered).toHaveLength(1);
    expect(r.recovered![0]!.outcome).toBe(outcome);
    const labels = await assertPairs(pg, c);
    expect(labels[c.target]).toBe("new");
    // Undone: one aside, the original production. Finished: the killed run's aside (the original) and the
    // rerun's own (what the killed run put in place).
    const asides = Object.entries(labels).filter(([n]) => n !== c.target);
    expect(asides.map(([, v]) => v).sort()).toEqual(outcome === "undone" ? ["old"] : ["new", "old"]);
    expect(asides.map(([n]) => n)).toContain(r.asideDatabase);
    for (const [n] of Object.entries(labels)) await pg.dropDatabase(n);
  });

  test.for([
    { point: "swap:before-commit", label: "old" },
    { point: "swap:after-commit", label: "new" },
  ])("SIGHUP at $point (the terminal dropped, its pipes closed): settled by the run itself, exit 130", { timeout: 180_000 }, async ({ point, label }, { pg }) => {
    const c = await newCase(pg, `hup${point.split(":")[1]!.replace(/\W/g, "")}`);
    const { child, exit } = await startStopped(pg, c, point);
    child.kill("SIGHUP");
    // The terminal is gone: whatever the command writes now fails (EPIPE) and must not kill the clean-up.
    child.stdout!.destroy();
    child.stderr!.destroy();
    expect(await exit).toBe(130);
    const labels = await assertPairs(pg, c);
    expect(labels[c.target]).toBe(label);
    // Before the commit everything was undone (only the original is there); after it the swap was completed.
    expect(Object.keys(labels)).toHaveLength(label === "old" ? 1 : 2);
    for (const n of Object.keys(labels)) await pg.dropDatabase(n);
  });
});

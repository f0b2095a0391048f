import { execFileSync } from "node:child_process";
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { test, expect, describe } from "@odoo-deploy/testkit/vitest";
import { AbortedError, EnvironmentError } from "../errors.js";
import { backupDatabase } from "./backup.js";
import { verifyBackup } from "./verify.js";
import { restoreDatabase } from "./restore.js";
import { compactTimestamp } from "./files.js";
import { tableChecksums, tempDir } from "./test-helpers.js";

describe("backup failures", () => {
  /** An Odoo-shaped database, by default big enough that a dump takes a while (~20 MB of rows). */
  async function bigDb(pg: { query: (sql: string, p?: unknown[], db?: string) => Promise<unknown[]> }, name: string, partners = 60000) {
    await pg.query(
      `CREATE TABLE ir_module_module (id serial primary key, name varchar, state varchar, latest_version varchar);
       INSERT INTO ir_module_module (name, state, latest_version) VALUES ('base', 'installed', '16.0.1.3');
       CREATE TABLE ir_config_parameter (id serial primary key, key varchar, value text);
       CREATE TABLE res_company (id serial primary key, name varchar);
       CREATE TABLE res_users (id serial primary key, login varchar);
       CREATE TABLE res_partner (id serial primary key, name varchar, comment text);
       INSERT INTO res_partner (name, comment) SELECT 'p' || g, repeat(md5(g::text), 8) FROM generate_series(1, ${partners}) g;`,
      [],
      name,
    );
  }

  test("a dump aborted midway leaves nothing under a final name and no work directory", async ({ db, pg }) => {
    await bigDb(pg, db.name);
    const out = tempDir("bk-out-");
    const ac = new AbortController();
    const p = backupDatabase({
      dbUrl: db.url,
      directory: out,
      progressIntervalMs: 0,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === "backup:progress" && e.bytes > 0) ac.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(readdirSync(out)).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  });

  test("pg_dump killed midway (SIGKILL): a clear error, nothing under a final name, no work directory", async ({ db, pg }) => {
    await bigDb(pg, db.name);
    const out = tempDir("bk-out-");
    let killed = false;
    const err = await backupDatabase({
      dbUrl: db.url,
      directory: out,
      progressIntervalMs: 0,
      onEvent: (e) => {
        if (e.type === "backup:progress" && e.bytes > 0 && !killed) {
          // Synchronously, while the stream is held: pg_dump is this process's child.
          const pid = Number(execFileSync("pgrep", ["-P", String(process.pid), "-x", "pg_dump"]).toString().trim().split("\n")[0]);
          process.kill(pid, "SIGKILL");
          killed = true;
        }
      },
    });
    expect(killed).toBe(true);
    // A judged failure: ok false, the failed step and pg_dump's error in the report (steps.ts).
    expect(err.ok).toBe(false);
    expect(err.path).toBeUndefined();
    expect(err.steps.at(-1)).toMatchObject({ name: "dump", status: "failed" });
    expect(err.failure?.code).toBe("PG_DUMP_FAILED");
    expect(err.failure?.message).toMatch(/^pg_dump failed dumping .* \(exit by signal\)/);
    expect(readdirSync(out)).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  });

  test("pg_dump refused (permission denied, wrong database): typed errors carrying stderr", async ({ db, pg }) => {
    await bigDb(pg, db.name);
    await pg.query("CREATE TABLE secret (x int)", [], db.name);
    const role = `nopriv_${db.name}`;
    await pg.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await pg.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}; REVOKE SELECT ON secret FROM ${role}`, [], db.name);
      const url = new URL(pg.tcpUrl(db.name));
      url.username = role;
      const out = tempDir("bk-out-");
      const err = await backupDatabase({ dbUrl: url.toString(), directory: out, verify: false });
      expect(err.ok).toBe(false);
      expect(err.steps.at(-1)).toMatchObject({ name: "dump", status: "failed" });
      expect(err.failure?.message).toContain("permission denied for table secret");
      expect(String(err.failure?.details.stderr)).toContain("permission denied");
      expect(readdirSync(out)).toEqual([]);
      const zipErr = await backupDatabase({ dbUrl: url.toString(), directory: out, format: "zip", verify: false });
      expect(zipErr.failure?.code).toBe("PG_DUMP_FAILED");
      expect(readdirSync(out)).toEqual([]);
      const missing = await backupDatabase({ dbUrl: pg.url(`${db.name}_nope`), directory: out }).catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(EnvironmentError);
      expect((missing as EnvironmentError).code).toBe("DB_NOT_FOUND");
      expect((missing as Error).message).toMatch(/does not exist/);
      rmSync(out, { recursive: true, force: true });
    } finally {
      await pg.query(`REASSIGN OWNED BY ${role} TO postgres; DROP OWNED BY ${role}`, [], db.name);
      await pg.query(`DROP ROLE ${role}`);
    }
  });

  test("a truncated or bit-flipped dump fails verify with the failing checks named", async ({ db, pg }) => {
    await bigDb(pg, db.name);
    const out = tempDir("bk-out-");
    const r = await backupDatabase({ dbUrl: db.url, directory: out });
    expect(r.ok, JSON.stringify(r.verification?.checks)).toBe(true);
    const dump = path.join(r.path!, "database.dump");
    const size = statSync(dump).size;

    const flipped = path.join(out, "flipped");
    cpSync(r.path!, flipped, { recursive: true });
    const at = Math.floor(size * 0.6);
    const original = readFileSync(path.join(flipped, "database.dump"))[at]!;
    const fd = openSync(path.join(flipped, "database.dump"), "r+");
    writeSync(fd, Buffer.from([original ^ 0x10]), 0, 1, at);
    closeSync(fd);
    const vf = await verifyBackup({ path: flipped, record: false });
    expect(vf.ok).toBe(false);
    const failedF = vf.checks.filter((c) => c.status === "failed").map((c) => c.name);
    expect(failedF).toEqual(expect.arrayContaining(["files", "archive-read"]));
    expect(vf.checks.find((c) => c.name === "archive-read")!.detail).toMatch(/pg_restore could not read the whole archive/);
    // ODOO-FACTS.md: the table of contents alone still reads fine; only the full read catches the damage.
    expect(vf.checks.find((c) => c.name === "toc")!.status).toBe("ok");

    const truncated = path.join(out, "truncated");
    cpSync(r.path!, truncated, { recursive: true });
    truncateSync(path.join(truncated, "database.dump"), Math.floor(size / 2));
    const vt = await verifyBackup({ path: truncated, record: false });
    expect(vt.ok).toBe(false);
    expect(vt.checks.filter((c) => c.status === "failed").map((c) => c.name)).toEqual(expect.arrayContaining(["files", "archive-read"]));
    expect(vt.checks.find((c) => c.name === "files")!.detail).toMatch(/database.dump: \d+ bytes, manifest says \d+/);
    rmSync(out, { recursive: true, force: true });
  });

  test("a restore that fails halfway leaves the original database untouched and nothing behind", async ({ db, pg }) => {
    await bigDb(pg, db.name);
    const before = await tableChecksums(pg, db.name);
    const work = tempDir("bk-badzip-");
    // A plain dump that breaks after half of its statements (a table that cannot be created).
    const sql = execFileSync(pg.bin("pg_dump"), ["--no-owner", pg.url(db.name)], { maxBuffer: 256 * 1024 * 1024 }).toString();
    const cut = sql.indexOf("CREATE TABLE public.res_partner");
    writeFileSync(path.join(work, "dump.sql"), `${sql.slice(0, cut)}CREATE TABLE public.broken (x no_such_type);\n${sql.slice(cut)}`);
    mkdirSync(path.join(work, "filestore"));
    execFileSync("zip", ["-q", "-r", "bad.zip", "dump.sql"], { cwd: work });
    const r = await restoreDatabase({ path: path.join(work, "bad.zip"), dbUrl: db.url, swap: true });
    expect(r.ok).toBe(false);
    const failed = r.steps.find((s) => s.status === "failed")!;
    expect(failed.name).toBe("restore-database");
    expect(failed.detail).toMatch(/psql failed .*type "no_such_type" does not exist/);
    expect(r.swapped).toBe(false);
    expect(await tableChecksums(pg, db.name)).toEqual(before);
    expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${db.name}_%`])).toEqual([]);
    expect(existsSync(path.join(work, "bad.zip"))).toBe(true);
    rmSync(work, { recursive: true, force: true });
  });

  test("a restore aborted midway drops what it created and leaves the original untouched", async ({ db, pg }) => {
    await bigDb(pg, db.name);
    const out = tempDir("bk-out-");
    const r = await backupDatabase({ dbUrl: db.url, directory: out, verify: false });
    const before = await tableChecksums(pg, db.name);
    const ac = new AbortController();
    const p = restoreDatabase({
      path: r.path!,
      dbUrl: db.url,
      swap: true,
      progressIntervalMs: 0,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === "restore:progress" && e.bytes > 0) ac.abort();
      },
    });
    await expect(p).rejects.toBeInstanceOf(AbortedError);
    expect(await tableChecksums(pg, db.name)).toEqual(before);
    expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${db.name}_%`])).toEqual([]);
    rmSync(out, { recursive: true, force: true });
  });

  test("a default name taken (two backups within one second) gets a suffix; a given name taken is refused", async ({ db, pg }) => {
    await bigDb(pg, db.name, 10);
    const out = tempDir("bk-out-");
    // The default name is the database and the start time to the second: the names of the next few seconds are
    // taken beforehand, so the backup below starts within one of them.
    const now = Date.now();
    const taken = [0, 1, 2, 3].map((s) => `${db.name}_${compactTimestamp(new Date(now + s * 1000))}`);
    for (const name of taken) mkdirSync(path.join(out, name));
    const r = await backupDatabase({ dbUrl: db.url, directory: out });
    expect(r.ok, JSON.stringify(r.steps)).toBe(true);
    const name = path.basename(r.path!);
    expect(taken.map((t) => `${t}-2`)).toContain(name);
    for (const t of taken) expect(readdirSync(path.join(out, t))).toEqual([]);

    const err = await backupDatabase({ dbUrl: db.url, directory: out, name }).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe("BACKUP_EXISTS");
    expect((err as Error).message).toContain(`a backup named ${name} already exists`);
    expect(readdirSync(out).sort()).toEqual([...taken, name].sort());
    rmSync(out, { recursive: true, force: true });
  });

  test("a pg_dump older than the server is refused before anything is written", async ({ db }) => {
    const out = tempDir("bk-out-");
    // Stands in for an old client install: prints what pg_dump 13 prints, and would fail if ever run to dump.
    const fake = path.join(out, "..", `${path.basename(out)}-pg_dump13`);
    writeFileSync(fake, "#!/bin/sh\n[ \"$1\" = --version ] && echo 'pg_dump (PostgreSQL) 13.16' && exit 0\nexit 99\n", { mode: 0o755 });
    const err = await backupDatabase({ dbUrl: db.url, directory: out, pgDump: fake }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as EnvironmentError).code).toBe("PG_DUMP_TOO_OLD");
    expect((err as Error).message).toMatch(/pg_dump 13.16 on local is older than the PostgreSQL 15 server/);
    expect(readdirSync(out)).toEqual([]);
    rmSync(fake);
    rmSync(out, { recursive: true, force: true });
  });
});

import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { listBackups } from "./list.js";
import { pruneBackups } from "./prune.js";
import { assertPgDumpFits, parsePgToolVersion } from "./pg-tools.js";
import { tempDir } from "./test-helpers.js";
import type { BackupManifest } from "./types.js";

/** A published backup directory with a manifest (its data files are not needed to list or prune). */
function fakeBackup(dir: string, name: string, createdAt: string, verified?: boolean): void {
  const m: BackupManifest = {
    odoo_dump: "1",
    db_name: "prod",
    version: "16.0",
    version_info: [16, 0, 0, "final", 0, ""],
    major_version: "16.0",
    pg_version: "15.0",
    modules: {},
    odoo_deploy: {
      formatVersion: 1,
      format: "custom",
      createdAt,
      database: "prod",
      pgDumpVersion: "15.18",
      serverVersion: "15.18",
      tableCount: 1,
      rowEstimates: {},
      files: [{ name: "database.dump", bytes: 10, sha256: "x" }],
      dump: { command: "pg_dump", exitCode: 0, durationMs: 1, runner: "local" },
      metadata: { revision: name },
      ...(verified === undefined ? {} : { verification: { level: "basic" as const, ok: verified, at: createdAt, checks: [] } }),
    },
  };
  mkdirSync(path.join(dir, name));
  writeFileSync(path.join(dir, name, "manifest.json"), JSON.stringify(m));
}

describe("backup list and prune", () => {
  test("newest first; work directories hidden; prune keeps by count and age and never the newest verified", async () => {
    const dir = tempDir("bk-retention-");
    const now = new Date("2026-11-27T12:00:00Z");
    const daysAgo = (d: number) => new Date(now.getTime() - d * 86_400_000).toISOString();
    fakeBackup(dir, "prod_a", daysAgo(40), true);
    fakeBackup(dir, "prod_b", daysAgo(20), true); // newest verified
    fakeBackup(dir, "prod_c", daysAgo(3), false);
    fakeBackup(dir, "prod_d", daysAgo(1)); // never verified
    mkdirSync(path.join(dir, ".prod_e.partial-1234")); // a backup in progress
    mkdirSync(path.join(dir, "not-a-backup"));

    const list = await listBackups({ directory: dir });
    expect(list.backups.map((b) => b.name)).toEqual(["prod_d", "prod_c", "prod_b", "prod_a"]);
    expect(list.backups.map((b) => b.verified?.ok)).toEqual([undefined, false, true, true]);
    expect(list.unreadable.map((u) => u.name)).toEqual(["not-a-backup"]);

    const dry = await pruneBackups({ directory: dir, keepLast: 1, now, dryRun: true });
    expect(dry.deleted.sort()).toEqual(["prod_a", "prod_c"]);
    expect(readdirSync(dir)).toContain("prod_a");

    const r = await pruneBackups({ directory: dir, keepLast: 1, keepDays: 2, now });
    expect(r.ok).toBe(true);
    expect(r.deleted.sort()).toEqual(["prod_a", "prod_c"]);
    expect(r.kept).toEqual([
      { name: "prod_d", reasons: ["among the 1 newest", "younger than 2 days"] },
      { name: "prod_b", reasons: ["newest verified backup"] },
    ]);
    expect(readdirSync(dir).sort()).toEqual([".prod_e.partial-1234", "not-a-backup", "prod_b", "prod_d"]);
    await expect(pruneBackups({ directory: dir })).rejects.toMatchObject({ code: "NO_RETENTION" });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe("pg_dump version against the server", () => {
  test("parses tool versions and refuses a pg_dump older than the server", () => {
    expect(parsePgToolVersion("pg_dump (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)")).toEqual({ version: "15.18", major: 15 });
    expect(parsePgToolVersion("pg_dump (PostgreSQL) 9.6.24")).toEqual({ version: "9.6.24", major: 9.6 });
    expect(parsePgToolVersion("pg_dump (PostgreSQL) 17devel")?.major).toBe(17);
    expect(() => assertPgDumpFits({ version: "13.2", major: 13 }, 150018, "local")).toThrow(/pg_dump 13.2 on local is older than the PostgreSQL 15 server/);
    expect(() => assertPgDumpFits({ version: "16.1", major: 16 }, 150018, "local")).not.toThrow();
  });
});

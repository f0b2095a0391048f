import { execFileSync } from "node:child_process";
import { chmodSync, readdirSync, rmSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { createDockerRunner } from "../runner/docker.js";
import { createSshRunner } from "../runner/ssh.js";
import { backupDatabase } from "./backup.js";
import { restoreDatabase } from "./restore.js";
import { labFilestore, tempDir } from "./test-helpers.js";

// The same backup with pg_dump elsewhere: `docker exec` in a container holding PostgreSQL's client tools
// (reaching the cluster over the host network), and over SSH on the loopback sshd. The dump streams back
// to this host's backup directory.

const PG_BIN = "/usr/lib/postgresql/15/bin";

describe("backupDatabase through other runners", () => {
  test("pg_dump and pg_restore inside a container (docker exec)", async ({ labDb, pg, docker }) => {
    const image = await docker.nodeImage({
      binaries: [pg.bin("pg_dump"), pg.bin("pg_restore"), pg.bin("psql")],
      env: { PATH: `${PG_BIN}:/usr/local/bin:/usr/bin:/bin` },
    });
    const container = await docker.startContainer(image);
    const runner = createDockerRunner({ container: container.name });
    const out = tempDir("bk-docker-");
    try {
      const r = await backupDatabase({ dbUrl: labDb.tcpUrl, directory: out, runner, verify: "basic", rowCounts: true });
      expect(r.ok, JSON.stringify(r.verification?.checks)).toBe(true);
      expect(r.manifest?.odoo_deploy?.dump.runner).toBe(runner.description);
      expect(readdirSync(out)).toEqual([path.basename(r.path!)]);
      const target = `${labDb.name}_docker`;
      const rr = await restoreDatabase({ path: r.path!, dbUrl: pg.tcpUrl(target), runner });
      expect(rr.ok, JSON.stringify(rr.steps)).toBe(true);
      expect(rr.steps.find((s) => s.name === "row-counts")!.detail).toMatch(/422 tables match/);
      await pg.dropDatabase(target);
    } finally {
      await runner.close();
      await container.remove();
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);

  test("pg_dump and psql over SSH (zip format)", async ({ labDb, pg, sshd }) => {
    const runner = createSshRunner({ host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, knownHostsPath: sshd.knownHostsPath });
    const out = tempDir("bk-ssh-");
    chmodSync(out, 0o700);
    try {
      const r = await backupDatabase({ dbUrl: labDb.tcpUrl, directory: out, runner, format: "zip", pgDump: pg.bin("pg_dump"), verify: "basic", rowCounts: true });
      expect(r.ok, JSON.stringify(r.verification?.checks)).toBe(true);
      expect(r.manifest?.odoo_deploy?.dump.runner).toMatch(/^ssh:/);
      const target = `${labDb.name}_ssh`;
      const rr = await restoreDatabase({ path: r.path!, dbUrl: pg.tcpUrl(target), runner, psql: pg.bin("psql") });
      expect(rr.ok, JSON.stringify(rr.steps)).toBe(true);
      expect(rr.steps.find((s) => s.name === "row-counts")!.detail).toMatch(/422 tables match/);
      await pg.dropDatabase(target);
    } finally {
      await runner.close();
      rmSync(out, { recursive: true, force: true });
    }
  }, 180_000);

  test("a filestore on the SSH host is archived with tar over SSH (custom format) and verified against the attachments", async ({ labDb, shared, sshd }) => {
    const runner = createSshRunner({ host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, knownHostsPath: sshd.knownHostsPath });
    const data = labFilestore(shared, labDb.name);
    // readable by the unprivileged SSH user
    execFileSync("chmod", ["-R", "a+rX", data.dataDir]);
    const out = tempDir("bk-ssh-fs-");
    try {
      const r = await backupDatabase({ dbUrl: labDb.tcpUrl, directory: out, runner, filestoreDir: data.filestoreDir, filestoreRunner: runner, verify: "basic" });
      expect(r.ok, JSON.stringify(r.verification?.checks)).toBe(true);
      expect(r.manifest?.odoo_deploy?.filestore?.fileCount).toBe(498);
      expect(r.verification!.checks.find((c) => c.name === "filestore")!.detail).toMatch(/^498 files, 249 referenced by ir_attachment/);
    } finally {
      await runner.close();
      rmSync(out, { recursive: true, force: true });
      data.cleanup();
    }
  }, 120_000);
});

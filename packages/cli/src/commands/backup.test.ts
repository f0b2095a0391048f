import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import type { PgCluster } from "@odoo-deploy/testkit";
import { runCaptured } from "../test-helpers.js";

/** A small Odoo-shaped database with two attachments and their filestore. */
async function odooShaped(pg: PgCluster, db: string): Promise<{ dataDir: string; filestoreDir: string }> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "cli-bk-data-"));
  const filestoreDir = path.join(dataDir, "filestore", db);
  const files = ["first attachment", "second attachment"].map((content) => {
    const sha = createHash("sha1").update(content).digest("hex");
    const rel = `${sha.slice(0, 2)}/${sha}`;
    mkdirSync(path.join(filestoreDir, sha.slice(0, 2)), { recursive: true });
    writeFileSync(path.join(filestoreDir, rel), content);
    return rel;
  });
  await pg.query(
    `CREATE TABLE ir_module_module (id serial primary key, name varchar, state varchar, latest_version varchar);
     INSERT INTO ir_module_module (name, state, latest_version) VALUES ('base', 'installed', '17.0.1.3'), ('crm', 'installed', '17.0.1.9');
     CREATE TABLE ir_config_parameter (id serial primary key, key varchar, value text);
     CREATE TABLE res_company (id serial primary key, name varchar);
     CREATE TABLE res_users (id serial primary key, login varchar);
     CREATE TABLE res_partner (id serial primary key, name varchar);
     INSERT INTO res_partner (name) SELECT 'p' || g FROM generate_series(1, 500) g;
     CREATE TABLE ir_attachment (id serial primary key, name varchar, store_fname varchar);
     INSERT INTO ir_attachment (name, store_fname) VALUES ('a', '${files[0]}'), ('b', '${files[1]}'), ('url', NULL);`,
    [],
    db,
  );
  return { dataDir, filestoreDir };
}

describe("odoo-deploy backup / backup verify / backup list / backup prune / restore", () => {
  test("round trip through the CLI with --json; the password never shows; exit 1 on a damaged backup", async ({ db, pg }) => {
    const { dataDir, filestoreDir } = await odooShaped(pg, db.name);
    const out = mkdtempSync(path.join(os.tmpdir(), "cli-bk-out-"));
    // Trust authentication accepts any password: good enough to prove it never reaches the output.
    const url = new URL(db.tcpUrl);
    url.password = "s3cret-Passw0rd";
    const secretUrl = url.toString();

    const b = await runCaptured(["backup", "--db-url", secretUrl, "--out", out, "--filestore-dir", filestoreDir, "--verify", "restore", "--meta", "revision=abc,image=odoo:17", "--json"]);
    expect(b.code, b.stderr + b.stdout).toBe(0);
    expect(b.stdout + b.stderr).not.toContain("s3cret-Passw0rd");
    const report = b.json<{ ok: boolean; path: string; manifest: { odoo_deploy: { metadata: Record<string, string>; rowCounts: Record<string, number> } } }>();
    expect(report.ok).toBe(true);
    expect(readdirSync(out)).toEqual([path.basename(report.path)]);
    expect(report.manifest.odoo_deploy.metadata).toEqual({ revision: "abc", image: "odoo:17" });
    expect(report.manifest.odoo_deploy.rowCounts["public.res_partner"]).toBe(500);

    const human = await runCaptured(["backup", "--db-url", db.url, "--out", out, "--format", "zip"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stderr).toMatch(/OK published .*\.?/);
    expect(human.stdout).toBe("");

    const list = await runCaptured(["backup", "list", out, "--json"]);
    expect(list.code).toBe(0);
    const listed = list.json<{ backups: { name: string; format: string; verified?: { ok: boolean; level: string } }[] }>().backups;
    expect(listed.map((x) => x.format).sort()).toEqual(["custom", "zip"]);
    expect(listed.every((x) => x.verified?.ok)).toBe(true);

    const v = await runCaptured(["backup", "verify", report.path, "--json"]);
    expect(v.code, v.stdout).toBe(0);
    expect(v.json<{ checks: { name: string; status: string; detail?: string }[] }>().checks.find((c) => c.name === "filestore")!.detail).toMatch(/2 referenced/);

    // Restore into a new database name through the CLI.
    const target = `${db.name}_cli`;
    const r = await runCaptured(["restore", report.path, "--db-url", pg.url(target), "--filestore-dir", path.join(dataDir, "filestore", target), "--json"]);
    expect(r.code, r.stdout).toBe(0);
    expect(r.json<{ restoredAs: string }>().restoredAs).toBe(target);
    expect(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], target)).toEqual([{ n: 500 }]);
    await pg.dropDatabase(target);

    truncateSync(path.join(report.path, "database.dump"), 100);
    const bad = await runCaptured(["backup", "verify", report.path, "--json"]);
    expect(bad.code).toBe(1);
    const failed = bad.json<{ ok: boolean; checks: { name: string; status: string }[] }>().checks.filter((c) => c.status === "failed").map((c) => c.name);
    expect(failed).toEqual(expect.arrayContaining(["files", "archive-read"]));

    // The newest verified backup survives --keep-last 1 even though a newer one exists (now failed).
    const prune = await runCaptured(["backup", "prune", out, "--keep-last", "1", "--json"]);
    expect(prune.code, prune.stdout).toBe(0);
    const pr = prune.json<{ kept: { name: string; reasons: string[] }[]; deleted: string[] }>();
    expect(pr.kept.length + pr.deleted.length).toBe(2);
    expect(pr.kept.flatMap((k) => k.reasons)).toContain("newest verified backup");
    rmSync(out, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  }, 120_000);

  test("pg_dump failures: a missing database is exit 3, a refused table exit 1, both with the tool's error and nothing published", async ({ db, pg }) => {
    await odooShaped(pg, db.name);
    const out = mkdtempSync(path.join(os.tmpdir(), "cli-bk-out-"));
    const missing = await runCaptured(["backup", "--db-url", pg.url(`${db.name}_missing`), "--out", out, "--json"]);
    expect(missing.code).toBe(3);
    const err = missing.json<{ error: { code: string; message: string } }>().error;
    expect(err.code).toBe("DB_NOT_FOUND");
    expect(err.message).toMatch(/does not exist/);

    const role = `cli_nopriv_${db.name}`;
    await pg.query(`CREATE ROLE ${role} LOGIN`);
    try {
      await pg.query(`GRANT SELECT ON ir_module_module, ir_attachment, res_partner TO ${role}`, [], db.name);
      const url = new URL(db.tcpUrl);
      url.username = role;
      const refused = await runCaptured(["backup", "--db-url", url.toString(), "--out", out, "--json"]);
      expect(refused.code).toBe(1);
      const e = refused.json<{ ok: boolean; failure: { code: string; message: string; details: { stderr: string } } }>();
      expect(e.ok).toBe(false);
      expect(e.failure.code).toBe("PG_DUMP_FAILED");
      expect(e.failure.details.stderr).toMatch(/permission denied for table/);
      expect(readdirSync(out)).toEqual([]);
    } finally {
      await pg.query(`DROP OWNED BY ${role}`, [], db.name);
      await pg.query(`DROP ROLE ${role}`);
    }
    rmSync(out, { recursive: true, force: true });
  });

  test("--filestore-on odoo archives the filestore on odoo.runner's host (SSH) from odoo-deploy.yaml", async ({ db, pg, sshd }) => {
    const { dataDir, filestoreDir } = await odooShaped(pg, db.name);
    execFileSync("chmod", ["-R", "a+rX", dataDir]);
    const out = mkdtempSync(path.join(os.tmpdir(), "cli-bk-out-"));
    const conf = path.join(out, "odoo-deploy.yaml");
    writeFileSync(
      conf,
      [
        "version: 1",
        "defaultEnvironment: test",
        "environments:",
        "  test:",
        `    database: { url: "${db.url}" }`,
        `    odoo: { runner: ssh, ssh: { host: "${sshd.host}", port: ${sshd.port}, user: "${sshd.user}", privateKeyPath: "${sshd.privateKeyPath}", knownHostsPath: "${sshd.knownHostsPath}" } }`,
        `    backups: { directory: "${path.join(out, "backups")}", filestoreDir: "${filestoreDir}" }`,
        "",
      ].join("\n"),
    );
    const r = await runCaptured(["--file", conf, "backup", "--filestore-on", "odoo", "--json"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const rep = r.json<{ steps: { name: string; detail?: string }[]; manifest: { odoo_deploy: { filestore: { fileCount: number } } } }>();
    expect(rep.steps.find((x) => x.name === "filestore")!.detail).toMatch(/^2 files on ssh:/);
    expect(rep.manifest.odoo_deploy.filestore.fileCount).toBe(2);
    rmSync(out, { recursive: true, force: true });
    rmSync(dataDir, { recursive: true, force: true });
  });

  // Mounting a tmpfs needs root; in CI the test must run, not be skipped.
  test.skipIf(process.getuid?.() !== 0 && !process.env.CI)("a disk that fills during the backup is exit 3, --out naming a file exit 2; nothing is left", async ({ db, pg, onTestFinished }) => {
    await odooShaped(pg, db.name);
    // About 10 MB of rows that do not compress to under 2 MB.
    await pg.query("CREATE TABLE filler AS SELECT g, md5(g::text) || md5((g * 7)::text) || md5((g * 13)::text) || md5((g * 31)::text) AS v FROM generate_series(1, 80000) g", [], db.name);
    const disk = mkdtempSync(path.join(os.tmpdir(), "cli-bk-full-"));
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=2m", "tmpfs", disk]);
    // Unmounted even when the test times out.
    onTestFinished(() => {
      execFileSync("umount", [disk]);
      rmSync(disk, { recursive: true, force: true });
    });
    {
      for (const format of ["custom", "zip"]) {
        const full = await runCaptured(["backup", "--db-url", db.url, "--out", disk, "--format", format, "--verify", "none", "--json"]);
        expect(full.code, full.stdout + full.stderr).toBe(3);
        const err = full.json<{ error: { code: string; message: string } }>().error;
        expect(err.code).toBe("FS_ENOSPC");
        expect(err.message).toMatch(/no space left on device/);
        expect(readdirSync(disk)).toEqual([]);
      }
    }
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), "cli-bk-file-")), "a-file");
    writeFileSync(file, "not a directory");
    for (const out of [file, path.join(file, "below")]) {
      const r = await runCaptured(["backup", "--db-url", db.url, "--out", out, "--json"]);
      expect(r.code, r.stdout + r.stderr).toBe(2);
      expect(r.json<{ error: { message: string } }>().error.message).toMatch(/is a file|not a directory/);
    }
    rmSync(path.dirname(file), { recursive: true, force: true });
  }, 120_000);

  test("usage errors exit 2", async () => {
    const r = await runCaptured(["backup", "--out", "/tmp/x", "--json"], { env: {} });
    expect(r.code).toBe(2);
    expect(r.json<{ error: { code: string } }>().error.code).toBe("MISSING_DB_URL");
    const p = await runCaptured(["backup", "prune", "/tmp", "--json"], { env: {} });
    expect(p.code).toBe(2);
    expect(p.json<{ error: { code: string } }>().error.code).toBe("NO_RETENTION");
  });
});

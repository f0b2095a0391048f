/**
 * The staging refresh from a backup (issue 19): the real Odoo 16 lab database backed up by odoo-deploy (custom
 * format, a directory of backups: the newest verified one) and as an Odoo zip, restored into the new staging
 * through the stream filter. Staging is replaced, healthy, neutralized, its URL set, with no partner data of
 * production and no leak; a backup with an unclassified column leaves the old staging as it was.
 */
import { mkdirSync, readdirSync, renameSync } from "node:fs";
import path from "node:path";
import { refreshStaging, type RefreshStagingOptions } from "@odoo-deploy/anonymizer";
import { backupDatabase } from "@odoo-deploy/core";
import { run, type PgCluster } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { createStagingEnv, type StagingEnv } from "./support/staging-env.js";

const SECRET = "refresh-backup-secret";

function options(env: StagingEnv, fromBackup: string): RefreshStagingOptions {
  return {
    fromBackup,
    targetUrl: env.staging.url,
    preset: "odoo",
    secret: SECRET,
    baseUrl: "https://staging.example.com",
    service: env.service,
    healthUrl: env.url,
    healthTimeoutMs: 20_000,
    odooBin: env.odooBin,
    odooConfig: env.odooConfig,
    odooEnv: env.odooEnv,
    targetFilestore: env.stagingFilestore,
    filestore: "placeholders",
    journalDir: path.join(env.work, "journal"),
  };
}

const param = async (pg: PgCluster, db: string, key: string) => (await pg.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [key], db))[0]?.value;

async function expectRefreshed(pg: PgCluster, env: StagingEnv, prod: string, r: Awaited<ReturnType<typeof refreshStaging>>): Promise<void> {
  expect(r.failure).toBeUndefined();
  expect(r.ok).toBe(true);
  expect(r.steps.map((s) => s.name)).toEqual(["lock", "recover", "source", "rules", "copy", "neutralize", "settings", "filestore", "verify", "swap", "health", "keep"]);
  expect(r.replaced).toBe(true);
  expect(r.restore?.rows).toBeGreaterThan(30_000);
  expect(r.verify?.leaks).toEqual([]);
  const db = env.staging.name;
  expect(await param(pg, db, "database.is_neutralized")).toBe("true");
  expect(await param(pg, db, "web.base.url")).toBe("https://staging.example.com");
  const originals = await pg.query<{ v: string }>("SELECT DISTINCT v FROM res_partner, LATERAL unnest(ARRAY[email, phone, street]) v WHERE length(v) > 5", [], prod);
  expect(originals.length).toBeGreaterThan(30);
  expect(await pg.query("SELECT email FROM res_partner WHERE email = ANY($1) OR phone = ANY($1) OR street = ANY($1)", [originals.map((o) => o.v)], db)).toEqual([]);
  expect(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], db)).toEqual(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], prod));
  expect(await env.healthy()).toBe(true);
}

test("a refresh from backups replaces staging: the newest verified custom backup of a directory, then an Odoo zip", { timeout: 900_000 }, async ({ pg, labDb }) => {
  const env = await createStagingEnv(pg, labDb);
  try {
    const backups = path.join(env.work, "backups");
    mkdirSync(backups);
    const verified = await backupDatabase({ dbUrl: labDb.url, directory: backups, filestoreDir: env.prodFilestore.dir, verify: "basic", name: "prod_1" });
    expect(verified.ok).toBe(true);
    await new Promise((res) => setTimeout(res, 1100));
    expect((await backupDatabase({ dbUrl: labDb.url, directory: backups, verify: false, name: "prod_2_unverified" })).ok).toBe(true);
    const fromDir = await refreshStaging(options(env, backups));
    await expectRefreshed(pg, env, labDb.name, fromDir);
    expect(fromDir.source).toMatchObject({ kind: "backup", backup: { path: verified.path, kind: "odoo-deploy", verified: true } });

    const zipDir = await backupDatabase({ dbUrl: labDb.url, directory: path.join(env.work, "zips"), format: "zip", filestoreDir: env.prodFilestore.dir, verify: false, name: "prod" });
    const zip = path.join(env.work, "prod.zip");
    renameSync(path.join(zipDir.path!, readdirSync(zipDir.path!).find((n) => n.endsWith(".zip"))!), zip);
    // `public` from a zip: the originals of the product images come from the zip's own filestore.
    const fromZip = await refreshStaging({ ...options(env, zip), keep: 0, filestore: "public" });
    await expectRefreshed(pg, env, labDb.name, fromZip);
    expect(fromZip.filestore?.copied).toBeGreaterThan(50);
    expect(fromZip.filestore?.placeholders).toBeGreaterThan(100);
    expect(fromZip.source).toMatchObject({ kind: "backup", backup: { kind: "zip", path: zip } });
  } finally {
    await env.cleanup();
  }
});

test("a backup with a column no rule covers: the refresh fails at copy, the old staging is as it was and serves", { timeout: 600_000 }, async ({ pg, labDb }) => {
  const env = await createStagingEnv(pg, labDb);
  try {
    await pg.query("ALTER TABLE res_partner ADD COLUMN x_private_note text; UPDATE res_partner SET x_private_note = 'diary of ' || name", [], labDb.name);
    const file = path.join(env.work, "prod.dump");
    await run(pg.bin("pg_dump"), ["-Fc", "--no-owner", "-f", file, "-d", labDb.url]);
    const before = await env.fingerprint();
    const r = await refreshStaging(options(env, file));
    expect(r.ok).toBe(false);
    expect(r.failure).toMatchObject({ step: "copy", code: "UNCOVERED_COLUMNS" });
    expect(r.replaced).toBe(false);
    expect(await env.fingerprint()).toEqual(before);
    expect(await env.healthy()).toBe(true);
    expect(await env.stagingDatabases()).toEqual([env.staging.name]);
    expect(env.filestoreSiblings()).toEqual([]);
  } finally {
    await env.cleanup();
  }
});

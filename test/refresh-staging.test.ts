/**
 * The staging refresh end to end: the real Odoo 16 lab database and filestore as production, the Odoo test double
 * as the staging service. A good refresh replaces staging (healthy, neutralized, its URL set, no leak, files per
 * policy); a refresh failing at each step leaves the old staging table by table and file by file as it was, and
 * serving.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { refreshStaging, type RefreshStagingOptions } from "@odoo-deploy/anonymizer";
import { runCli } from "@odoo-deploy/cli";
import { acquireDeployLock } from "@odoo-deploy/core";
import type { PgCluster } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { createStagingEnv, OLD_STAGING_MARKER, type StagingEnv } from "./support/staging-env.js";

const SECRET = "refresh-test-secret";

function options(env: StagingEnv, extra: Partial<RefreshStagingOptions> = {}): RefreshStagingOptions {
  return {
    sourceUrl: env.prod.url,
    targetUrl: env.staging.url,
    preset: "odoo",
    secret: SECRET,
    jobs: 2,
    baseUrl: "https://staging.example.com",
    service: env.service,
    healthUrl: env.url,
    healthTimeoutMs: 20_000,
    odooBin: env.odooBin,
    odooConfig: env.odooConfig,
    odooEnv: env.odooEnv,
    sourceFilestore: env.prodFilestore,
    targetFilestore: env.stagingFilestore,
    journalDir: path.join(env.work, "journal"),
    ...extra,
  };
}

const param = async (pg: PgCluster, db: string, key: string) => (await pg.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [key], db))[0]?.value;

test("a refresh from the live lab database replaces staging: healthy, neutralized, URL set, no leak, placeholder files", { timeout: 600_000 }, async ({ pg, labDb }) => {
  const env = await createStagingEnv(pg, labDb);
  try {
    const r = await refreshStaging(options(env, { canaries: ["jane.doe.canary@nowhere.example"] }));
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.steps.map((s) => [s.name, s.status])).toEqual([
      ["lock", "ok"],
      ["recover", "ok"],
      ["rules", "ok"],
      ["copy", "ok"],
      ["neutralize", "ok"],
      ["settings", "ok"],
      ["filestore", "ok"],
      ["verify", "ok"],
      ["swap", "ok"],
      ["health", "ok"],
      ["keep", "ok"],
    ]);
    expect(r.replaced).toBe(true);
    expect(r.swappedBack).toBe(false);
    expect(r.url).toBe("https://staging.example.com");
    expect(r.rows).toBeGreaterThan(1000);
    expect(r.verify?.leaks).toEqual([]);
    expect(r.downtimeMs).toBeGreaterThan(0);
    const db = env.staging.name;
    expect(await param(pg, db, "staging.marker")).toBeUndefined();
    expect(await param(pg, db, "database.is_neutralized")).toBe("true");
    expect(await param(pg, db, "web.base.url")).toBe("https://staging.example.com");
    expect(await param(pg, db, "web.base.url.freeze")).toBe("True");
    // Nobody's e-mail, phone or street came along.
    const originals = await pg.query<{ email: string | null; phone: string | null; street: string | null }>("SELECT email, phone, street FROM res_partner", [], labDb.name);
    const copied = await pg.query<{ email: string | null; phone: string | null; street: string | null }>("SELECT email, phone, street FROM res_partner", [], db);
    for (const k of ["email", "phone", "street"] as const) {
      const before = new Set(originals.map((p) => p[k]).filter((v): v is string => !!v && v.length > 5));
      expect(copied.filter((p) => p[k] && before.has(p[k])).map((p) => p[k]), k).toEqual([]);
    }
    // Every file the new staging references is there, named by its content, and none is a production file.
    const prodFiles = new Set(Object.values(fileHashes(env.prodFilestore.dir, await referenced(pg, labDb.name))));
    const refs = await referenced(pg, db);
    expect(refs.length).toBeGreaterThan(0);
    for (const [ref, sha] of Object.entries(fileHashes(env.stagingFilestore.dir, refs))) {
      expect(sha, ref).toBe(path.basename(ref));
      expect(prodFiles.has(sha), ref).toBe(false);
    }
    // The old staging is kept aside (keep 1) with its filestore, and serves nothing.
    expect(r.asideDatabase).toMatch(new RegExp(`^${db}_before_`));
    expect(await param(pg, r.asideDatabase!, "staging.marker")).toBe(OLD_STAGING_MARKER);
    expect(existsSync(path.join(path.dirname(env.stagingFilestore.dir), r.asideDatabase!, "ab"))).toBe(true);
    expect(await env.healthy()).toBe(true);

    // A second refresh puts the first refresh's staging aside; the hand-made one is never dropped by `keep`.
    const again = await refreshStaging(options(env, { keep: 0 }));
    expect(again.ok, JSON.stringify(again.failure)).toBe(true);
    expect(again.dropped).toEqual([expect.stringMatching(new RegExp(`^${db}_before_`))]);
    expect(await env.stagingDatabases()).toEqual([db, r.asideDatabase].sort());
  } finally {
    await env.cleanup();
  }
});

/** Failures injected at each step, each for real (a bad rules file, a failing odoo-bin, SQL that fails…). */
const FAILURES: { step: string; swappedBack: boolean; options: (env: StagingEnv) => Partial<RefreshStagingOptions>; source?: [string, string] }[] = [
  // Production grew a column nobody classified: refused before anything is copied.
  { step: "rules", swappedBack: false, options: () => ({}), source: ["ALTER TABLE res_partner ADD COLUMN x_private_note text", "ALTER TABLE res_partner DROP COLUMN x_private_note"] },
  // A constraint that production's streets satisfy and no fake street does: the copy fails while loading.
  {
    step: "copy",
    swappedBack: false,
    options: () => ({}),
    source: [
      "DO $$ BEGIN EXECUTE format('ALTER TABLE res_partner ADD CONSTRAINT real_streets CHECK (street IS NULL OR street = ANY (%L::varchar[]))', (SELECT array_agg(DISTINCT street) FROM res_partner WHERE street IS NOT NULL)); END $$",
      "ALTER TABLE res_partner DROP CONSTRAINT real_streets",
    ],
  },
  { step: "neutralize", swappedBack: false, options: () => ({ odooBin: ["false"] }) },
  { step: "settings", swappedBack: false, options: (env) => ({ postSqlFile: sqlFile(env, "UPDATE res_partner SET name = 'x'; SELECT 1/0;") }) },
  { step: "verify", swappedBack: false, options: () => ({ canaries: ["sale_management"] }) },
  // The new staging is broken (its module table gone): unhealthy after the swap, so it is swapped back.
  { step: "health", swappedBack: true, options: (env) => ({ postSqlFile: sqlFile(env, "DROP TABLE ir_module_module CASCADE;"), healthTimeoutMs: 3_000 }) },
];

test("a refresh failing at each step leaves the old staging byte-identical and serving", { timeout: 900_000 }, async ({ pg, labDb }) => {
  const env = await createStagingEnv(pg, labDb);
  try {
    const before = await env.fingerprint();
    // Another refresh (or a deploy) of this staging holds the lock: refused at once, nothing touched.
    const other = await acquireDeployLock(env.staging.url, env.staging.name, 0, "another refresh");
    try {
      const r = await refreshStaging(options(env));
      expect(r.failure).toMatchObject({ step: "lock", code: "DEPLOY_LOCKED" });
      expect(await env.fingerprint()).toEqual(before);
    } finally {
      await other.release();
    }
    // Production named as the staging too, by another spelling (its socket, then 127.0.0.1): refused before
    // anything is made, the sameness decided after connecting.
    const prodByTcp = `postgres://postgres@127.0.0.1:${pg.port}/${labDb.name}`;
    await expect(refreshStaging(options(env, { targetUrl: prodByTcp }))).rejects.toMatchObject({ code: "SAME_DATABASE" });
    expect(await param(pg, labDb.name, "database.is_neutralized")).toBeUndefined();
    expect(await env.stagingDatabases()).toEqual([env.staging.name]);
    for (const f of FAILURES) {
      if (f.source) await pg.query(f.source[0], [], labDb.name);
      const r = await refreshStaging(options(env, f.options(env)));
      if (f.source) await pg.query(f.source[1], [], labDb.name);
      expect(r.ok, f.step).toBe(false);
      expect(r.failure?.step, f.step).toBe(f.step);
      expect(r.replaced, f.step).toBe(false);
      expect(r.swappedBack, f.step).toBe(f.swappedBack);
      expect(await env.fingerprint(), f.step).toEqual(before);
      expect(await env.healthy(), f.step).toBe(true);
      expect(await env.stagingDatabases(), f.step).toEqual([env.staging.name]);
      expect(env.filestoreSiblings(), f.step).toEqual([]);
    }
  } finally {
    await env.cleanup();
  }
});

function sqlFile(env: StagingEnv, sql: string): string {
  const file = path.join(env.work, `post-${createHash("sha1").update(sql).digest("hex").slice(0, 8)}.sql`);
  writeFileSync(file, sql);
  return file;
}

async function referenced(pg: PgCluster, db: string): Promise<string[]> {
  return (await pg.query<{ f: string }>("SELECT DISTINCT store_fname AS f FROM ir_attachment WHERE store_fname IS NOT NULL ORDER BY 1", [], db)).map((r) => r.f);
}

/** sha1 of each referenced file under `dir` (missing files are left out). */
function fileHashes(dir: string, refs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const ref of refs) {
    const p = path.join(dir, ref);
    if (existsSync(p)) out[ref] = createHash("sha1").update(readFileSync(p)).digest("hex");
  }
  return out;
}

test("odoo-deploy refresh-staging through the CLI: exit 0 with the JSON report; a failing --post-sql exits 1, the old staging serving", { timeout: 600_000 }, async ({ pg, labDb }) => {
  const env = await createStagingEnv(pg, labDb);
  try {
    // --odoo-bin takes one path: a wrapper script running the double with node.
    const odooBin = path.join(env.work, "odoo-bin");
    writeFileSync(odooBin, `#!/bin/sh\nexec "${env.odooBin[0]}" "${env.odooBin[1]}" "$@"\n`, { mode: 0o755 });
    const argv = (extra: string[]) => [
      "refresh-staging",
      "--source-url", env.prod.url,
      "--target-url", env.staging.url,
      "--preset", "odoo",
      "--secret-env", "STAGING_SECRET",
      "--base-url", "https://staging.example.com",
      "--filestore", "placeholders",
      "--target-filestore", env.stagingFilestore.dir,
      "--stop-command", env.commands.stopCommand,
      "--start-command", env.commands.startCommand,
      "--odoo-bin", odooBin,
      "--odoo-config", env.odooConfig,
      "--health-url", env.url,
      "--json",
      ...extra,
    ];
    const io = { env: { ...env.odooEnv, PATH: process.env.PATH ?? "", STAGING_SECRET: SECRET, ODOO_DEPLOY_STATE_DIR: path.join(env.work, "state") } };
    const bad = await cli(argv(["--post-sql", sqlFile(env, "SELECT 1/0;")]), io);
    expect(bad.code, bad.stderr).toBe(1);
    const failed = JSON.parse(bad.stdout) as { ok: boolean; failure: { step: string }; replaced: boolean };
    expect(failed).toMatchObject({ ok: false, failure: { step: "settings" }, replaced: false });
    expect(await param(pg, env.staging.name, "staging.marker")).toBe(OLD_STAGING_MARKER);
    expect(await env.healthy()).toBe(true);
    expect(bad.stdout + bad.stderr).not.toContain(SECRET);

    const good = await cli(argv([]), io);
    expect(good.code, good.stderr).toBe(0);
    const report = JSON.parse(good.stdout) as { ok: boolean; replaced: boolean; url: string; verify: { leaks: unknown[] } };
    expect(report).toMatchObject({ ok: true, replaced: true, url: "https://staging.example.com", verify: { leaks: [] } });
    expect(await param(pg, env.staging.name, "staging.marker")).toBeUndefined();
    expect(await param(pg, env.staging.name, "database.is_neutralized")).toBe("true");
    expect(await env.healthy()).toBe(true);
  } finally {
    await env.cleanup();
  }
});

async function cli(argv: string[], o: { env: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(argv, { io: { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) }, env: o.env, cwd: process.cwd() } });
  return { code, stdout, stderr };
}

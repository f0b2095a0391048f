/**
 * Benchmark of deploys and rollbacks (issue 18), in one run on a throwaway cluster:
 * 1. Rollback: the database put back from a rollback point (a rename swap; the clone is taken while stopped,
 *    before the migration, and timed apart) against restoring the pre-deploy backup with swap, at each size of
 *    --rows (flat as the database grows?). Goal: the swap <= 5 s where the restore takes ~25 s.
 * 2. Downtime (service stopped → healthy again) of `deployOdoo` against the bare sequence of the pipeline
 *    article (stop → odoo-bin -u --stop-after-init → start → health) for the same update, alternating.
 *    Goal: ours <= theirs + the clone time.
 * The Odoo database is one the test double initialised (lab_demo, lab_extra) holding ../shared/bench/odoo-like.sql
 * in a schema of its own, so that cloning and restoring move the bench's ~1.1 GB per 1M rows. Each timed run
 * starts after a CHECKPOINT with no autovacuum worker busy; medians are quoted with every round.
 *
 *   npx tsx --conditions=source packages/core/bench/deploy.ts [--rows 250000,1000000] [--runs 3]
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import {
  backupDatabase,
  createCommandsService,
  createLocalRunner,
  createRollbackPoint,
  deployOdoo,
  DEPLOYED_REVISION_KEY,
  formatBytes,
  migrateModules,
  restoreDatabase,
  restoreRollbackPointDatabase,
  setConfigParameter,
  waitForHealthy,
  withClient,
} from "@odoo-deploy/core";
import { createServiceDouble, createTempGitRepo, freePort, ODOO_DOUBLE_FIXTURE_ADDONS, odooDoubleArgv, sharedPath, startPostgres, type PgCluster } from "@odoo-deploy/testkit";

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : process.argv[i + 1]!;
};
const SIZES = arg("rows", "250000,1000000").split(",").map(Number);
const RUNS = Number(arg("runs", "3"));
const sql = sharedPath("bench/odoo-like.sql");
if (!sql) throw new Error("../shared/bench/odoo-like.sql not found (set ODOO_DEPLOY_SHARED)");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const s = (ms: number) => `${(ms / 1000).toFixed(2)}s`;
const rounds = (xs: number[]) => xs.map(s).join(" / ");

/** A CHECKPOINT, then wait until no autovacuum worker runs (at most 60 s), so runs start from the same state. */
async function quiet(pg: PgCluster): Promise<void> {
  await pg.query("CHECKPOINT");
  for (let i = 0; i < 600; i++) {
    const r = await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'");
    if (r[0]!.n === 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  console.log("  (autovacuum still busy after 60 s: going on)");
}

const pg = await startPostgres();
const work = mkdtempSync(path.join(os.tmpdir(), "bench-deploy-"));
try {
  const pgEnv = { PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: "postgres" };
  const local = createLocalRunner({ env: pgEnv });
  const double = await odooDoubleArgv();
  const repo = await createTempGitRepo({ dir: path.join(work, "repo") });
  const addons = path.join(repo.dir, "addons");
  cpSync(ODOO_DOUBLE_FIXTURE_ADDONS, addons, { recursive: true, filter: (src) => !src.includes("_variants") });
  const lab = path.join(addons, "lab_demo");
  const toggle = (bumped: boolean) =>
    cpSync(bumped ? path.join(ODOO_DOUBLE_FIXTURE_ADDONS, "_variants", "version-bump", "lab_demo") : path.join(ODOO_DOUBLE_FIXTURE_ADDONS, "lab_demo"), lab, { recursive: true, force: true });

  for (const rows of SIZES) {
    const db = `prod_${rows}`;
    const url = pg.url(db);
    toggle(false);
    let rev = await repo.commit(`v0 for ${rows}`);
    const init = await local.exec([...double, "--addons-path", addons, "-d", db, "-i", "lab_demo,lab_extra", "--stop-after-init"]);
    if (init.exitCode !== 0) throw new Error(init.stderr);
    await withClient(url, (c) => setConfigParameter(c, DEPLOYED_REVISION_KEY, rev));
    const t0 = performance.now();
    await pg.query("CREATE SCHEMA bench", [], db);
    await execa(pg.bin("psql"), ["-X", "-q", "-d", url, "-v", `rows=${rows}`, "-f", sql], { env: { PGOPTIONS: "-c search_path=bench" } });
    await execa(pg.bin("psql"), ["-X", "-q", "-d", url, "-c", "VACUUM ANALYZE"]);
    const size = Number((await pg.query<{ s: string }>("SELECT pg_database_size($1)::text AS s", [db]))[0]!.s);
    console.log(`\n== ${rows} rows: ${formatBytes(size)}, generated in ${s(performance.now() - t0)}`);

    // 1. Rollback: swap from a rollback point vs restore of the pre-deploy backup.
    const backup = await backupDatabase({ dbUrl: url, directory: path.join(work, "backups"), verify: false, name: `pre-${rows}` });
    if (!backup.ok) throw new Error("backup failed");
    const clone: number[] = [];
    const swap: number[] = [];
    const restore: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      await quiet(pg);
      let t = performance.now();
      const point = await createRollbackPoint({ dbUrl: url, database: db, name: `${db}_point_${i}`, deployId: `bench-${i}` });
      clone.push(performance.now() - t);
      await quiet(pg);
      t = performance.now();
      await restoreRollbackPointDatabase({ dbUrl: url, database: db, point, asideName: `${db}_aside_${i}` });
      swap.push(performance.now() - t);
      await pg.dropDatabase(`${db}_aside_${i}`);
      await quiet(pg);
      t = performance.now();
      const r = await restoreDatabase({ path: backup.path!, dbUrl: url, swap: true });
      restore.push(performance.now() - t);
      if (!r.ok) throw new Error(`restore failed: ${JSON.stringify(r.failure)}`);
      await pg.dropDatabase(r.asideDatabase!);
      console.log(`  round ${i + 1}: clone ${s(clone[i]!)}, rollback (swap) ${s(swap[i]!)}, restore of the backup ${s(restore[i]!)}`);
    }
    console.log(`  rollback: database back in place in ${s(median(swap))} (median; ${rounds(swap)}) against ${s(median(restore))} restoring the backup (${rounds(restore)}): ${(median(restore) / median(swap)).toFixed(0)}x; the clone, taken before the migration: ${s(median(clone))} (${rounds(clone)})`);

    // 2. Downtime of the same update: the article's sequence against deployOdoo, alternating.
    const sd = createServiceDouble(path.join(work, `service-${rows}`));
    const port = await freePort();
    sd.define("odoo", `env PGHOST=${pg.socketDir} PGPORT=${pg.port} PGUSER=postgres ${double.join(" ")} --addons-path ${addons} -d ${db} --http-port ${port}`);
    const service = createCommandsService({ runner: local, stopCommand: `${sd.serviceBin} stop odoo`, startCommand: `${sd.serviceBin} start odoo`, statusCommand: `${sd.serviceBin} status odoo` });
    const healthUrl = `http://127.0.0.1:${port}`;
    await service.start({});
    if (!(await waitForHealthy({ url: healthUrl, dbName: db, timeoutMs: 30_000 })).ok) throw new Error("the double did not start");
    const theirs: number[] = [];
    const ours: number[] = [];
    const oursClone: number[] = [];
    let bumped = false;
    for (let i = 0; i < RUNS; i++) {
      bumped = !bumped;
      toggle(bumped);
      await quiet(pg);
      const t = performance.now();
      await service.stop();
      const tm = performance.now();
      console.log(`    the article's stop: ${s(tm - t)}`);
      const m = await migrateModules({ runner: local, odooBin: double, addonsPath: addons, dbName: db, dbUrl: url, update: ["lab_demo"] });
      if (!m.ok) throw new Error(`migrate: ${m.reasons.join("; ")}`);
      const migrateMs = performance.now() - tm;
      await service.start({});
      // Polled as deployOdoo polls (HEALTH_POLL), so both sequences are measured alike.
      const h = await waitForHealthy({ url: healthUrl, dbName: db, timeoutMs: 60_000, initialDelayMs: 100, maxDelayMs: 1000 });
      if (!h.ok) throw new Error("not healthy");
      theirs.push(performance.now() - t);
      console.log(`    the article's migrate alone: ${s(migrateMs)}`);

      // The same update for ours: the revision deployed last had the other lab_demo, so the plan updates it.
      rev = await repo.commit(`round ${i + 1}`);
      await quiet(pg);
      const r = await deployOdoo({ dbUrl: url, repo: repo.dir, addonsPaths: ["addons"], to: rev, service, odooRunner: local, odooBin: double, odooAddonsPath: addons, backupDir: path.join(work, "deploys"), healthUrl, backup: "auto" });
      if (!r.ok) throw new Error(`deploy: ${JSON.stringify(r.failure)}`);
      ours.push(r.downtimeMs!);
      oursClone.push(r.steps.find((x) => x.name === "rollback-point")!.durationMs!);
      const during = r.steps.filter((x) => ["stop", "rollback-point", "migrate", "start", "health"].includes(x.name)).map((x) => `${x.name} ${s(x.durationMs ?? 0)}`).join(", ");
      console.log(`    ${r.steps.find((x) => x.name === "stop")?.detail ?? ""}`);
      console.log(`  round ${i + 1}: the article's stop → migrate → start → health ${s(theirs[i]!)}; deployOdoo stopped → healthy ${s(ours[i]!)} (${during})`);
    }
    const budget = median(theirs) + median(oursClone);
    console.log(`  downtime: ours ${s(median(ours))} (median; ${rounds(ours)}) against the article's ${s(median(theirs))} (${rounds(theirs)}) + the clone ${s(median(oursClone))} = ${s(budget)}: ${median(ours) <= budget ? "within" : "OVER"} the goal (${(median(ours) - budget >= 0 ? "+" : "")}${s(median(ours) - budget)})`);
    await service.stop();
    for (const d of await pg.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE $1", [`${db}%`])) await pg.dropDatabase(d.d);
    rmSync(path.join(work, "backups"), { recursive: true, force: true });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  await pg.stop();
}

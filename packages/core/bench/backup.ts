/**
 * Benchmark of `backupDatabase` with `verify: "basic"` (issue 5) against a bare `pg_dump -Fc` of the same
 * database in the same run. The database is ../shared/bench/odoo-like.sql (default 1M rows, ~1.1 GB) loaded
 * into a throwaway cluster. Runs alternate (bare, ours, bare, ours, …) so both see the same machine noise;
 * the best time of each is compared. Target: ratio <= 1.1.
 *
 *   npx tsx --conditions=source packages/core/bench/backup.ts [--rows 1000000] [--runs 2]
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { backupDatabase, formatBytes } from "@odoo-deploy/core";
import { sharedPath, startPostgres } from "@odoo-deploy/testkit";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const ROWS = arg("rows", 1_000_000);
const RUNS = arg("runs", 2);

const sql = sharedPath("bench/odoo-like.sql");
if (!sql) throw new Error("../shared/bench/odoo-like.sql not found (set ODOO_DEPLOY_SHARED)");
const pg = await startPostgres();
const out = mkdtempSync(path.join(os.tmpdir(), "bench-backup-"));
try {
  const t0 = performance.now();
  await pg.createDatabase("bench");
  await execa(pg.bin("psql"), ["-X", "-q", "-d", pg.url("bench"), "-v", `rows=${ROWS}`, "-f", sql]);
  await execa(pg.bin("psql"), ["-X", "-q", "-d", pg.url("bench"), "-c", "VACUUM ANALYZE"]);
  const size = (await pg.query<{ s: string }>("SELECT pg_database_size('bench')::text AS s"))[0]!.s;
  console.log(`database: ${ROWS} rows, ${formatBytes(Number(size))}, generated in ${((performance.now() - t0) / 1000).toFixed(1)}s`);

  const bare: number[] = [];
  const ours: number[] = [];
  let dumpBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    const file = path.join(out, `bare-${i}.dump`);
    let t = performance.now();
    await execa(pg.bin("pg_dump"), ["-Fc", "-f", file, pg.url("bench")]);
    bare.push((performance.now() - t) / 1000);
    dumpBytes = statSync(file).size;
    rmSync(file);
    console.log(`run ${i + 1}: bare pg_dump -Fc ${bare[i]!.toFixed(1)}s (${formatBytes(dumpBytes)})`);

    t = performance.now();
    const r = await backupDatabase({ dbUrl: pg.url("bench"), directory: out, verify: "basic", name: `ours-${i}` });
    ours.push((performance.now() - t) / 1000);
    if (!r.ok) throw new Error(`backup not ok: ${JSON.stringify(r.verification?.checks)}`);
    console.log(`run ${i + 1}: backupDatabase --verify basic ${ours[i]!.toFixed(1)}s (${formatBytes(r.bytes)}); steps ${r.steps.map((s) => `${s.name}=${((s.durationMs ?? 0) / 1000).toFixed(1)}s`).join(" ")}`);
    rmSync(r.path!, { recursive: true, force: true });
  }
  const b = Math.min(...bare);
  const o = Math.min(...ours);
  console.log(`\nbare pg_dump -Fc:               ${b.toFixed(1)}s (best of ${RUNS})`);
  console.log(`backup --verify basic:          ${o.toFixed(1)}s (best of ${RUNS})`);
  console.log(`ratio: ${(o / b).toFixed(3)}x (target <= 1.1x)`);
} finally {
  rmSync(out, { recursive: true, force: true });
  await pg.stop();
}

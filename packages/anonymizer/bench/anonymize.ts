// Benchmark: our database-to-database anonymization with the Odoo preset vs a plain `pg_dump -Fc | pg_restore`
// on ../shared/bench/odoo-like.sql, in one throwaway cluster, in one run (machines are noisy: compare ratios).
//
//   npx tsx --conditions=source packages/anonymizer/bench/anonymize.ts [rows=1000000] [jobs=2]
//
// Prints: baseline time, our time, their ratio (target ≤ 1.0), our peak RSS (target ≤ 256 MB), and fake
// values per second per core (target ≥ 1M), measured on one core over distinct values.
import { sharedPath, startPostgres } from "@odoo-deploy/testkit";
import { spawnSync } from "node:child_process";
import os from "node:os";
import { Anonymizer, anonymizeDatabase } from "../src/index.js";

const rows = Number(process.argv[2] ?? 1_000_000);
const jobs = Number(process.argv[3] ?? 2);
const sql = sharedPath("bench/odoo-like.sql");
if (!sql) throw new Error("../shared/bench/odoo-like.sql not found (set ODOO_DEPLOY_SHARED)");

const pg = await startPostgres();
const sh = (script: string) => {
  const r = spawnSync("bash", ["-o", "pipefail", "-c", script], { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: "postgres" } });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr.toString()}`);
};
const timed = async (fn: () => unknown) => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};
try {
  console.log(`odoo-like.sql with rows=${rows.toLocaleString("en")}, ${os.cpus().length} cores, jobs=${jobs}`);
  const genS = await timed(() => sh(`createdb bench && psql -q -d bench -v rows=${rows} -f ${sql}`));
  const size = (await pg.query<{ s: string }>("SELECT pg_size_pretty(pg_database_size('bench')) AS s"))[0]!.s;
  console.log(`generated in ${genS.toFixed(1)} s, database size ${size}`);

  const baseS = await timed(() => sh("createdb baseline && pg_dump -Fc bench | pg_restore --no-owner -d baseline"));
  console.log(`baseline  pg_dump -Fc | pg_restore -d (single job): ${baseS.toFixed(1)} s`);

  let report: Awaited<ReturnType<typeof anonymizeDatabase>> | undefined;
  const oursS = await timed(async () => {
    report = await anonymizeDatabase({ sourceUrl: pg.url("bench"), targetUrl: pg.url("anon"), preset: "odoo", secret: "bench-secret", jobs, pgBinDir: pg.binDir });
  });
  if (!report?.ok) throw new Error(`anonymization failed: ${JSON.stringify(report?.steps ?? report)}`);
  const data = report.steps.find((s) => s.name === "data");
  console.log(`ours      anonymizeDatabase (preset odoo, ${jobs} jobs): ${oursS.toFixed(1)} s  (steps: ${report.steps.map((s) => `${s.name} ${((s.durationMs ?? 0) / 1000).toFixed(1)}s`).join(", ")})`);
  console.log(`ratio     ours / baseline = ${(oursS / baseS).toFixed(2)}  (target ≤ 1.0)`);
  console.log(`peak RSS  ${(report.peakRssBytes / 1048576).toFixed(0)} MB  (target ≤ 256 MB)`);
  console.log(`in-engine ${report.fakeValues.toLocaleString("en")} fake values, ${Math.round(report.fakeValues / (((data?.durationMs ?? 1) / 1000) * jobs)).toLocaleString("en")} values/s per job during the data step (includes COPY work)`);

  // Fake values per second on one core: distinct originals (no memo hits), the preset's hot strategies.
  const a = new Anonymizer({ secret: "bench-secret" });
  const strategies = ["email", "name", "phone", "street", "city", "zip"] as const;
  const n = 1_000_000;
  const inputs = Array.from({ length: n }, (_, i) => `user${i}@${(i * 2654435761) % 99991}.example.com`);
  const noRow = { original: () => null, output: () => null };
  for (const s of strategies) {
    const t = a.compile(s);
    for (let i = 0; i < 20_000; i++) t(`warm${i}`, noRow);
    const secs = await timed(() => {
      for (let i = 0; i < n; i++) t(inputs[i]!, noRow);
    });
    console.log(`fake      ${s.padEnd(6)} ${Math.round(n / secs).toLocaleString("en")} distinct values/s on one core`);
  }
} finally {
  await pg.stop();
}

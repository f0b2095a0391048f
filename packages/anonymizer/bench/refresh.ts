// Benchmark of the staging refresh (issue 19) on ../shared/bench/odoo-like.sql, in one throwaway cluster, in one
// run (machines are noisy: compare the ratios of one run, not absolute times). Three ways to a staging copy:
//
//   (a) the article's:  pg_dump -Fc prod > dump; dropdb staging; createdb staging; pg_restore -d staging dump;
//                       psql -d staging -f ../shared/bench/sql-update-anonymize.sql   (UPDATEs in place + VACUUM)
//   (b) a plain copy:   pg_dump -Fc prod | pg_restore -d staging                      (no anonymization at all)
//   (c) ours:           refreshStaging: live source read on one snapshot → new database beside staging, anonymized
//                       with the Odoo preset on the way, swapped in; filestore none, the service a commands service
//                       (`true` / `true`), no health URL, keep 0
//
// Goals (issue 19): (c) ≤ 0.4 × (a), and (c) ≤ 1.2 × (b).
//
//   npx tsx --conditions=source packages/anonymizer/bench/refresh.ts [rows=1000000] [rounds=3] [jobs=default]
//
// Each timed run starts after the previous run's databases are dropped, a CHECKPOINT, and with no autovacuum
// worker busy; the order of (a), (b), (c) rotates from round to round, so none always runs right after another.
// Prints every round (times, phases, ratios) and the medians.
//
// Neutralization: the article's way does none, and odoo-like.sql is not a whole Odoo database (no ir_cron, no
// ir_mail_server) for odoo-bin neutralize to run on, so (c) runs with `neutralize: false`; every other step of the
// refresh runs (rules check, copy, settings, leak scan, swap, keep).
import { sharedPath, startPostgres } from "@odoo-deploy/testkit";
import { createCommandsService, createLocalRunner } from "@odoo-deploy/core";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { checkRules, refreshStaging, type RefreshReport } from "../src/index.js";

const rows = Number(process.argv[2] ?? 1_000_000);
const rounds = Math.max(1, Number(process.argv[3] ?? 3));
const jobs = process.argv[4] && process.argv[4] !== "default" ? Number(process.argv[4]) : undefined;
const sql = sharedPath("bench/odoo-like.sql");
const updates = sharedPath("bench/sql-update-anonymize.sql");
if (!sql || !updates) throw new Error("../shared/bench/odoo-like.sql or sql-update-anonymize.sql not found (set ODOO_DEPLOY_SHARED)");

const pg = await startPostgres();
const work = mkdtempSync(path.join(os.tmpdir(), "bench-refresh-"));
const env = { ...process.env, PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: pg.superuser };
const tool = (name: string) => pg.bin(name);
/** A shell pipeline of PostgreSQL's tools (this script's own fixed text: no value from a file or a database). */
const sh = (script: string) => {
  const r = spawnSync("bash", ["-o", "pipefail", "-c", script], { stdio: ["ignore", "ignore", "pipe"], env });
  if (r.status !== 0) throw new Error(`${script}: ${r.stderr.toString()}`);
};
const seconds = async (fn: () => unknown): Promise<number> => {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
};
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor((xs.length - 1) / 2)]!;
const s = (x: number) => `${x.toFixed(1)} s`;

/** Drops what earlier runs made, then a CHECKPOINT, then waits (≤ 120 s) until no autovacuum worker runs. */
async function settle(): Promise<void> {
  const rest = await pg.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname NOT IN ('postgres', 'template0', 'template1', 'prod')");
  for (const { datname } of rest) await pg.dropDatabase(datname);
  await pg.query("CHECKPOINT");
  sh("sync");
  for (let waited = 0; waited < 120; waited++) {
    const busy = await pg.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'autovacuum worker'");
    if (busy[0]!.n === 0) return;
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log("  (autovacuum still busy after 120 s: the next timed run shares the machine with it)");
}

/** The staging each way replaces: there before the run, as on any week but the first (empty: cheap to drop). */
const oldStaging = (name: string) => pg.createDatabase(name);

interface Outcome {
  secs: number;
  detail: string;
}
type Way = { key: "a" | "b" | "c"; label: string; run(): Promise<Outcome> };

const dump = path.join(work, "prod.dump");
const ways: Way[] = [
  {
    key: "a",
    label: "article: pg_dump -Fc; dropdb; createdb; pg_restore; SQL UPDATEs",
    async run() {
      await oldStaging("staging_a");
      const tDump = await seconds(() => sh(`${tool("pg_dump")} -Fc -f ${dump} prod`));
      const tRestore = await seconds(() => sh(`${tool("dropdb")} staging_a && ${tool("createdb")} staging_a && ${tool("pg_restore")} --no-owner -d staging_a ${dump}`));
      const tUpdate = await seconds(() => sh(`${tool("psql")} -X -q -v ON_ERROR_STOP=1 -d staging_a -f ${updates}`));
      rmSync(dump, { force: true });
      return { secs: tDump + tRestore + tUpdate, detail: `dump ${s(tDump)}, restore ${s(tRestore)}, UPDATEs + VACUUM ${s(tUpdate)}` };
    },
  },
  {
    key: "b",
    label: "plain: pg_dump -Fc | pg_restore (no anonymization)",
    async run() {
      await oldStaging("staging_b");
      const secs = await seconds(() => sh(`${tool("dropdb")} staging_b && ${tool("createdb")} staging_b && ${tool("pg_dump")} -Fc prod | ${tool("pg_restore")} --no-owner -d staging_b`));
      return { secs, detail: "" };
    },
  },
  {
    key: "c",
    label: "ours: refreshStaging (live source, preset odoo, filestore none)",
    async run() {
      await oldStaging("staging_c");
      const local = createLocalRunner({ env: { PGHOST: pg.socketDir, PGPORT: String(pg.port), PGUSER: pg.superuser } });
      let report: RefreshReport | undefined;
      try {
        const secs = await seconds(async () => {
          report = await refreshStaging({
            sourceUrl: pg.url("prod"),
            targetUrl: pg.url("staging_c"),
            preset: "odoo",
            secret: "bench-secret",
            ...(jobs ? { jobs } : {}),
            filestore: "none",
            keep: 0,
            service: createCommandsService({ runner: local, stopCommand: "true", startCommand: "true" }),
            neutralize: false,
            journalDir: path.join(work, "journal"),
          });
        });
        if (!report!.ok) throw new Error(`refreshStaging failed: ${JSON.stringify(report!.failure ?? report!.steps.filter((x) => x.status === "failed"))}`);
        return { secs, detail: `steps: ${report!.steps.map((x) => `${x.name} ${((x.durationMs ?? 0) / 1000).toFixed(1)}s`).join(", ")}` };
      } finally {
        await local.close();
      }
    },
  },
];

try {
  console.log(`odoo-like.sql with rows=${rows.toLocaleString("en")}, ${os.cpus().length} cores, jobs=${jobs ?? "default"}, ${rounds} rounds`);
  const genS = await seconds(async () => {
    await pg.createDatabase("prod");
    sh(`${tool("psql")} -X -q -v ON_ERROR_STOP=1 -d prod -v rows=${rows} -f ${sql}`);
    sh(`${tool("psql")} -X -q -d prod -c 'VACUUM ANALYZE'`);
  });
  const size = (await pg.query<{ s: string }>("SELECT pg_size_pretty(pg_database_size('prod')) AS s"))[0]!.s;
  console.log(`generated in ${s(genS)}, database size ${size}`);
  // The Odoo preset covers every column of the source, or (c) could not run.
  const rules = await checkRules({ sourceUrl: pg.url("prod"), preset: "odoo" });
  if (!rules.ok) throw new Error(`the Odoo preset does not cover the bench database:\n${rules.suggestedRules}`);

  const times = new Map<Way["key"], number[]>(ways.map((w) => [w.key, []]));
  for (let round = 1; round <= rounds; round++) {
    console.log(`round ${round}`);
    const got = new Map<Way["key"], number>();
    for (let k = 0; k < ways.length; k++) {
      const way = ways[(k + round - 1) % ways.length]!;
      await settle();
      const out = await way.run();
      got.set(way.key, out.secs);
      times.get(way.key)!.push(out.secs);
      console.log(`  (${way.key}) ${way.label}: ${s(out.secs)}${out.detail ? `  (${out.detail})` : ""}`);
    }
    const [a, b, c] = [got.get("a")!, got.get("b")!, got.get("c")];
    console.log(`  ratios: (b)/(a) ${(b / a).toFixed(2)}${c !== undefined ? `, (c)/(a) ${(c / a).toFixed(2)} (goal ≤ 0.40), (c)/(b) ${(c / b).toFixed(2)} (goal ≤ 1.20)` : ""}`);
  }
  await settle();

  console.log(`medians of ${rounds} rounds:`);
  for (const w of ways) {
    const t = times.get(w.key)!;
    if (t.length) console.log(`  (${w.key}) ${median(t).toFixed(1)} s  (rounds: ${t.map((x) => x.toFixed(1)).join(", ")})  ${w.label}`);
  }
  // Ratios per round, then their median: a machine slowing down for a minute hits the ways of one round alike.
  const perRound = (x: Way["key"], y: Way["key"]) => times.get(x)!.map((v, i) => v / times.get(y)![i]!);
  console.log(`  (b)/(a) ${median(perRound("b", "a")).toFixed(2)}`);
  const ca = median(perRound("c", "a"));
  const cb = median(perRound("c", "b"));
  console.log(`  (c)/(a) ${ca.toFixed(2)} (goal ≤ 0.40: ${ca <= 0.4 ? "met" : "NOT met"}), (c)/(b) ${cb.toFixed(2)} (goal ≤ 1.20: ${cb <= 1.2 ? "met" : "NOT met"})`);
} finally {
  await pg.stop();
  rmSync(work, { recursive: true, force: true });
}

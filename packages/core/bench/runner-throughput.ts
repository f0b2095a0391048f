/**
 * Streams N bytes (default 1 GiB) of a command's stdout through `spawn` on each runner and prints throughput
 * and the peak RSS of this Node process. Baseline, measured in the same run: node:child_process spawn piped
 * to the same sink, without any runner. Targets: RSS flat, well under 100 MB.
 *
 *   npx tsx --conditions=source packages/core/bench/runner-throughput.ts [bytes] [local,ssh,docker,docker-one-off]
 *
 * Needs root (loopback sshd) and a Docker engine for the ssh and docker rows; rows whose service is missing
 * are reported as skipped.
 */
import { execFileSync, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { CommandRunner } from "@odoo-deploy/core";

// Each row runs in a fresh Node process (this file in worker mode, importing only the runners), so one
// row's heap does not inflate the next row's RSS and the orchestrator's own imports (testkit, pg) do not count.
const worker = process.env.RUNNER_BENCH_WORKER ? (JSON.parse(process.env.RUNNER_BENCH_WORKER) as WorkerSpec) : undefined;
interface WorkerSpec {
  row: string;
  total: number;
  ssh?: { host: string; port: number; user: string; privateKeyPath: string; knownHostsPath: string };
  container?: string;
  image?: string;
}
const total = worker?.total ?? Number(process.argv[2] ?? 1024 ** 3);
const only = process.argv[3]?.split(",");
const NODE = process.execPath;
// The producer writes one 1 MiB buffer over and over, respecting backpressure.
const producer = `const b = Buffer.alloc(1 << 20, 97); let left = ${total};
  function more() { while (left > 0) { const n = Math.min(left, b.length); left -= n;
    if (!process.stdout.write(n === b.length ? b : b.subarray(0, n))) return process.stdout.once("drain", more); } }
  more();`;

function sink(): { stream: Writable; bytes: () => number } {
  let n = 0;
  return {
    stream: new Writable({
      highWaterMark: 1 << 16,
      write(chunk: Buffer, _e, cb) {
        n += chunk.length;
        cb();
      },
    }),
    bytes: () => n,
  };
}

interface Row {
  name: string;
  seconds: number;
  mibPerSec: number;
  peakRssMiB: number;
  startRssMiB: number;
}

async function measure(name: string, run: (dest: Writable) => Promise<void>): Promise<Row> {
  global.gc?.();
  const startRss = process.memoryUsage.rss();
  let peak = startRss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 20);
  const s = sink();
  const t0 = performance.now();
  await run(s.stream);
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage.rss());
  if (s.bytes() !== total) throw new Error(`${name}: got ${s.bytes()} bytes, expected ${total}`);
  return { name, seconds, mibPerSec: total / 1024 / 1024 / seconds, peakRssMiB: peak / 1024 / 1024, startRssMiB: startRss / 1024 / 1024 };
}

const viaRunner = (runner: CommandRunner) => async (dest: Writable) => {
  const cmd = runner.spawn([NODE, "-e", producer]);
  await pipeline(cmd.stdout, dest);
  const r = await cmd.result;
  if (r.exitCode !== 0) throw new Error(`${runner.description}: exit ${r.exitCode}: ${r.stderr}`);
};

if (worker) {
  // Only the runner modules (not the whole core index), so RSS shows what streaming costs.
  const { createLocalRunner } = await import("../src/runner/local.js");
  const { createSshRunner } = await import("../src/runner/ssh.js");
  const { createDockerRunner } = await import("../src/runner/docker.js");
  const runners: Record<string, () => (dest: Writable) => Promise<void>> = {
    "baseline child_process": () => async (dest) => {
      const child = spawn(NODE, ["-e", producer], { stdio: ["ignore", "pipe", "inherit"] });
      await pipeline(child.stdout, dest);
    },
    local: () => viaRunner(createLocalRunner()),
    "ssh (loopback)": () => viaRunner(createSshRunner(worker.ssh!)),
    "docker exec": () => viaRunner(createDockerRunner({ container: worker.container! })),
    "docker one-off": () => viaRunner(createDockerRunner({ image: worker.image!, network: "host" })),
  };
  const run = runners[worker.row]!();
  if (worker.ssh) await createSshRunner(worker.ssh).exec(["true"]); // warm the host key check outside the measurement
  const row = await measure(worker.row, run);
  process.stdout.write(JSON.stringify(row));
  process.exit(0);
}

const { dockerAvailable, nodeImage, sshdUnavailableReason, startSshd, startTestContainer } = await import("@odoo-deploy/testkit");
const self = fileURLToPath(import.meta.url);
const inWorker = (spec: Omit<WorkerSpec, "total">): Row =>
  JSON.parse(
    execFileSync(NODE, ["--import", "tsx", "--conditions=source", self], {
      env: { ...process.env, RUNNER_BENCH_WORKER: JSON.stringify({ ...spec, total }) },
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
      maxBuffer: 1 << 20,
    }),
  ) as Row;

const rows: Row[] = [];
const skipped: string[] = [];
const want = (k: string) => !only || only.includes(k);

rows.push(inWorker({ row: "baseline child_process" }));
if (want("local")) rows.push(inWorker({ row: "local" }));

if (want("ssh")) {
  const why = sshdUnavailableReason();
  if (why) skipped.push(`ssh: ${why}`);
  else {
    const sshd = await startSshd();
    try {
      const ssh = { host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, knownHostsPath: sshd.knownHostsPath };
      rows.push(inWorker({ row: "ssh (loopback)", ssh }));
    } finally {
      await sshd.stop();
    }
  }
}

if (want("docker") || want("docker-one-off")) {
  const d = await dockerAvailable();
  if (!d.ok) skipped.push(`docker: ${d.reason}`);
  else {
    const image = await nodeImage();
    if (want("docker")) {
      const c = await startTestContainer(image);
      try {
        rows.push(inWorker({ row: "docker exec", container: c.name }));
      } finally {
        await c.remove();
      }
    }
    if (want("docker-one-off")) rows.push(inWorker({ row: "docker one-off", image }));
  }
}
const base = rows[0]!;
console.log(`streamed ${(total / 1024 / 1024).toFixed(0)} MiB per row (node ${process.version})`);
console.log("runner".padEnd(24), "seconds".padStart(8), "MiB/s".padStart(8), "vs base".padStart(8), "RSS start".padStart(10), "RSS peak".padStart(9));
for (const r of rows) {
  console.log(
    r.name.padEnd(24),
    r.seconds.toFixed(2).padStart(8),
    r.mibPerSec.toFixed(0).padStart(8),
    `${(r.mibPerSec / base.mibPerSec).toFixed(2)}x`.padStart(8),
    `${r.startRssMiB.toFixed(0)} MiB`.padStart(10),
    `${r.peakRssMiB.toFixed(0)} MiB`.padStart(9),
  );
}
for (const s of skipped) console.log(`skipped ${s}`);
const worst = Math.max(...rows.map((r) => r.peakRssMiB));
const growth = Math.max(...rows.map((r) => r.peakRssMiB - r.startRssMiB));
console.log(`peak RSS over all rows: ${worst.toFixed(0)} MiB (target < 100 MiB); largest growth while streaming: ${growth.toFixed(0)} MiB`);

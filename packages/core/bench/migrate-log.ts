/**
 * Benchmark of the Odoo log analyzer used by `migrateModules` (issue 6): the real Odoo 16 logs of
 * ../shared/odoo16-lab/logs concatenated and repeated to a large log (an `-u all` of a big database logs
 * hundreds of thousands of lines), analyzed line by line as migrate streams it, against a baseline measured
 * in the same run: splitting the same text into lines and matching one regular expression per line.
 * Target: the analyzer keeps up with odoo-bin by orders of magnitude (> 100k lines/s).
 *
 *   npx tsx --conditions=source packages/core/bench/migrate-log.ts [--lines 1000000] [--runs 5]
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { OdooLogAnalyzer } from "@odoo-deploy/core";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? def : Number(process.argv[i + 1]);
};
const LINES = arg("lines", 1_000_000);
const RUNS = arg("runs", 5);

const shared = process.env.ODOO_DEPLOY_SHARED ?? path.resolve(import.meta.dirname, "../../../../shared");
const logsDir = path.join(shared, "odoo16-lab/logs");
const sample = readdirSync(logsDir)
  .filter((f) => f.endsWith(".log"))
  .sort()
  .flatMap((f) => readFileSync(path.join(logsDir, f), "utf8").split("\n"));
const lines: string[] = [];
while (lines.length < LINES) lines.push(...sample);
lines.length = LINES;
const text = lines.join("\n");
const mb = Buffer.byteLength(text) / 1024 / 1024;

const RECORD = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3}) (\d+) ([A-Z]+) (\S+) ([^\s:]+): ?(.*)$/;
function baseline(): number {
  let n = 0;
  for (const l of text.split("\n")) if (RECORD.test(l)) n++;
  return n;
}
function analyze(): number {
  const a = new OdooLogAnalyzer();
  for (const l of text.split("\n")) a.push(l);
  a.end();
  return a.summary().findings.length;
}

function best(fn: () => number): { ms: number; result: number } {
  let ms = Infinity;
  let result = 0;
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    result = fn();
    ms = Math.min(ms, performance.now() - t);
  }
  return { ms, result };
}

const b = best(baseline);
const a = best(analyze);
console.log(`log: ${LINES} lines, ${mb.toFixed(1)} MiB (the ${sample.length} lines of the real logs, repeated)`);
console.log(`baseline split + one regex: ${b.ms.toFixed(0)} ms (${Math.round(LINES / (b.ms / 1000))} lines/s), ${b.result} records`);
console.log(`OdooLogAnalyzer:            ${a.ms.toFixed(0)} ms (${Math.round(LINES / (a.ms / 1000))} lines/s), ${a.result} findings`);
console.log(`ratio analyzer / baseline: ${(a.ms / b.ms).toFixed(2)}`);

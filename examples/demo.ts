/**
 * `npm run demo`: the main job on an embedded default. Starts a throwaway PostgreSQL cluster, generates an
 * Odoo-shaped demo database (and its filestore), then runs the real `odoo-deploy` commands against it —
 * each prints its report — and throws everything away. Needs only Node 20 and PostgreSQL's binaries.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { createOdooDemoDatabase, startPostgres } from "@odoo-deploy/testkit";

const cliBin = fileURLToPath(new URL("../packages/cli/dist/bin.js", import.meta.url));

function step(title: string, args: string[], expectCode = 0): void {
  process.stderr.write(`\n\x1b[1m$ odoo-deploy ${args.join(" ")}\x1b[0m   # ${title}\n`);
  const r = spawnSync(process.execPath, [cliBin, ...args], { stdio: "inherit" });
  if (r.status !== expectCode) throw new Error(`odoo-deploy ${args[0]} exited ${r.status}, expected ${expectCode}`);
}

const work = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-demo-"));
process.stderr.write("Starting a throwaway PostgreSQL cluster…\n");
const cluster = await startPostgres();
try {
  await cluster.createDatabase("odoo_demo");
  const filestoreDir = path.join(work, "data", "filestore", "odoo_demo");
  mkdirSync(filestoreDir, { recursive: true });
  const made = await createOdooDemoDatabase({ url: cluster.url("odoo_demo"), partners: 5000, filestoreDir, attachments: 60 });
  process.stderr.write(`Generated database odoo_demo: ${made.partners} partners, ${made.attachments} attachments in ${filestoreDir}\n`);
  const dbUrl = cluster.url("odoo_demo");

  step("what state is the database in?", ["status", "--db-url", dbUrl]);
  step("the same, as JSON for scripts", ["status", "--db-url", dbUrl, "--json"]);
  process.stderr.write("\nDemo finished: every command above ran against a real PostgreSQL cluster.\n");
} finally {
  await cluster.stop();
  rmSync(work, { recursive: true, force: true });
}

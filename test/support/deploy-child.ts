/**
 * Runs one deploy in a child process and freezes it at a chosen moment, for tests that kill -9 it there:
 * `node --import tsx --conditions=source deploy-child.ts OPTIONS.json WHEN MARKER`, where WHEN is
 * `start:<step>` (the journal names the step, nothing of it is done), `end:<step>` (the step is done, the journal
 * does not say so yet) or an event type (`migrate:module`: odoo-bin is running). At that moment MARKER is written
 * and the main thread blocks, so nothing more happens until the kill.
 */
import { readFileSync } from "node:fs";
import { freezeAt } from "./freeze.js";
import { createCommandsService, createLocalRunner, deployOdoo } from "@odoo-deploy/core";

interface ChildOptions {
  dbUrl: string;
  repo: string;
  addonsPaths: string[];
  to: string;
  backupDir: string;
  filestoreDir: string;
  healthUrl: string;
  odooBin: string[];
  odooAddonsPath: string;
  env: Record<string, string>;
  service: { stopCommand: string; startCommand: string; statusCommand: string };
}

const [file, when, marker] = process.argv.slice(2) as [string, string, string];
const o = JSON.parse(readFileSync(file, "utf8")) as ChildOptions;
const onEvent = freezeAt("deploy", when, marker);
const local = createLocalRunner({ env: o.env });
const r = await deployOdoo({
  dbUrl: o.dbUrl,
  repo: o.repo,
  addonsPaths: o.addonsPaths,
  to: o.to,
  backupDir: o.backupDir,
  filestore: { runner: local, dir: o.filestoreDir },
  healthUrl: o.healthUrl,
  healthTimeoutMs: 20_000,
  service: createCommandsService({ runner: local, ...o.service }),
  odooRunner: local,
  odooBin: o.odooBin,
  odooAddonsPath: o.odooAddonsPath,
  odooEnv: o.env,
  onEvent,
});
process.stdout.write(JSON.stringify({ ok: r.ok, status: r.status }));

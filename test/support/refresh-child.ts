/**
 * Runs one staging refresh in a child process and freezes it at a chosen moment, for tests that kill -9 it there:
 * `node --import tsx --conditions=source refresh-child.ts OPTIONS.json WHEN MARKER`, where WHEN is
 * `start:<step>` (the step has begun, nothing of it done) or `end:<step>` (done, the next not begun). Core's own
 * failpoints (`ODOO_DEPLOY_FAILPOINT`, inside the swap) freeze it without a marker: the test waits for their line
 * on stderr. At that moment MARKER is written and the main thread blocks until the kill.
 */
import { readFileSync } from "node:fs";
import { freezeAt } from "./freeze.js";
import { refreshStaging } from "@odoo-deploy/anonymizer";
import { createCommandsService, createLocalRunner } from "@odoo-deploy/core";

interface ChildOptions {
  sourceUrl: string;
  targetUrl: string;
  secret: string;
  journalDir: string;
  healthUrl: string;
  odooBin: string[];
  odooConfig: string;
  env: Record<string, string>;
  sourceFilestore: string;
  targetFilestore: string;
  service: { stopCommand: string; startCommand: string; statusCommand: string };
}

const [file, when, marker] = process.argv.slice(2) as [string, string, string];
const o = JSON.parse(readFileSync(file, "utf8")) as ChildOptions;
const onEvent = freezeAt("refresh", when, marker);
const local = createLocalRunner({ env: o.env });
const r = await refreshStaging({
  sourceUrl: o.sourceUrl,
  targetUrl: o.targetUrl,
  preset: "odoo",
  secret: o.secret,
  jobs: 2,
  journalDir: o.journalDir,
  service: createCommandsService({ runner: local, ...o.service }),
  healthUrl: o.healthUrl,
  healthTimeoutMs: 20_000,
  odooBin: o.odooBin,
  odooConfig: o.odooConfig,
  odooEnv: o.env,
  sourceFilestore: { runner: local, dir: o.sourceFilestore },
  targetFilestore: { runner: local, dir: o.targetFilestore },
  onEvent,
});
process.stdout.write(JSON.stringify({ ok: r.ok, failure: r.failure }));

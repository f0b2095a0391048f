/**
 * kill -9 of a staging refresh in every state it can leave, then the next run: a refresh frozen at each moment in a child
 * process is killed with SIGKILL; the next refresh settles what it left (and says so) before anything else. Here
 * that next run then stops at its rules check (production grew an unclassified column), so what it leaves is
 * exactly the settled state: the old staging table by table and file by file as before, serving, and nothing of
 * the killed run behind — no temporary database, no copy, no filestore directory, no journal.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { refreshStaging } from "@odoo-deploy/anonymizer";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { createStagingEnv, type StagingEnv } from "./support/staging-env.js";

const CHILD = fileURLToPath(new URL("./support/refresh-child.ts", import.meta.url));
const SECRET = "refresh-crash-secret";

/** Moments to kill at: step boundaries (events) and core's failpoints inside the swap (the service is stopped). */
// (Every step's start is covered by the state it leaves: before the swap only the swap journal and the copy exist,
// from the stop on the refresh journal too; one point per such state, plus the swap's own failpoints.)
const KILL_POINTS: { when: string; failpoint?: string; stopped: boolean }[] = [
  { when: "start:copy", stopped: false },
  { when: "start:neutralize", stopped: false },
  { when: "start:filestore", stopped: false },
  { when: "end:verify", stopped: false },
  { when: "swap:before-commit", failpoint: "swap:before-commit", stopped: true },
  { when: "swap:after-commit", failpoint: "swap:after-commit", stopped: true },
  { when: "start:health", stopped: false },
];

async function refreshKilledAt(env: StagingEnv, point: (typeof KILL_POINTS)[number]): Promise<void> {
  const marker = path.join(env.work, `frozen-${Date.now()}`);
  const file = path.join(env.work, "child.json");
  writeFileSync(
    file,
    JSON.stringify({
      sourceUrl: env.prod.url,
      targetUrl: env.staging.url,
      secret: SECRET,
      journalDir: path.join(env.work, "journal"),
      healthUrl: env.url,
      odooBin: env.odooBin,
      odooConfig: env.odooConfig,
      env: env.odooEnv,
      sourceFilestore: env.prodFilestore.dir,
      targetFilestore: env.stagingFilestore.dir,
      service: env.commands,
    }),
  );
  const child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", CHILD, file, point.failpoint ? "-" : point.when, marker], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...(point.failpoint ? { ODOO_DEPLOY_FAILPOINT: point.failpoint } : {}) },
  });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr.on("data", (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.on("exit", () => r()));
  const deadline = Date.now() + 180_000;
  while (!(point.failpoint ? out.includes(`odoo-deploy failpoint: ${point.failpoint}`) : existsSync(marker))) {
    if (child.exitCode !== null) throw new Error(`the refresh ended before ${point.when}: ${out}`);
    if (Date.now() > deadline) throw new Error(`the refresh never reached ${point.when}: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill("SIGKILL");
  await exited;
}

test("kill -9 in every state a refresh can leave: the next run settles it, the old staging serves as before, nothing left behind", { timeout: 1_200_000 }, async ({ pg, labDb }) => {
  const env = await createStagingEnv(pg, labDb);
  const journal = path.join(env.work, "journal");
  try {
    const before = await env.fingerprint();
    for (const point of KILL_POINTS) {
      await refreshKilledAt(env, point);
      // A kill after the service was stopped leaves staging down until the next run: say so here, then settle.
      if (point.stopped) expect(await env.healthy().catch(() => false), point.when).toBe(false);
      await pg.query("ALTER TABLE res_partner ADD COLUMN x_private_note text", [], labDb.name);
      const next = await refreshStaging({
        sourceUrl: env.prod.url,
        targetUrl: env.staging.url,
        preset: "odoo",
        secret: SECRET,
        journalDir: journal,
        service: env.service,
        healthUrl: env.url,
        targetFilestore: env.stagingFilestore,
      });
      await pg.query("ALTER TABLE res_partner DROP COLUMN x_private_note", [], labDb.name);
      expect(next.failure?.step, point.when).toBe("rules");
      expect(next.cleaned.length, `${point.when}: ${JSON.stringify(next.steps)}`).toBeGreaterThan(0);
      expect(await env.fingerprint(), point.when).toEqual(before);
      expect(await env.healthy(), point.when).toBe(true);
      expect(await env.stagingDatabases(), point.when).toEqual([env.staging.name]);
      expect(env.filestoreSiblings(), point.when).toEqual([]);
      expect(existsSync(journal) ? readdirSync(journal).filter((n) => n.endsWith(".json")) : [], point.when).toEqual([]);
    }
  } finally {
    await env.cleanup();
  }
});

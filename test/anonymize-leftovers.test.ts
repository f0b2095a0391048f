import { connect } from "@odoo-deploy/core";
import { test, expect } from "@odoo-deploy/testkit/vitest";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = path.join(root, "packages/cli/src/bin.ts");

interface Child {
  proc: ChildProcess;
  exit: Promise<number | null>;
  out(): { stdout: string; stderr: string };
}

/** The real CLI in its own process, as a scheduler would start it. */
function startCli(args: string[], tmp: string): Child {
  const proc = spawn(process.execPath, ["--import", "tsx", "--conditions=source", bin, ...args], {
    cwd: root,
    env: { ...process.env, ODOO_DEPLOY_ANONYMIZE_SECRET: "k", TMPDIR: tmp },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  proc.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  const exit = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
  return { proc, exit, out: () => ({ stdout, stderr }) };
}

/** Polls `probe` until it returns a value; fails with `what` after `ms`. */
async function until<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("a killed anonymize leaves its temporary database and work directory; a concurrent run keeps them, the next run removes them and says so", { timeout: 300_000 }, async ({ pg, db }) => {
  await pg.query(
    `CREATE TABLE big (id serial PRIMARY KEY, note text);
     INSERT INTO big (note) SELECT repeat('x', 60) || g FROM generate_series(1, 200000) g;
     CREATE TABLE small (id serial PRIMARY KEY, name text);
     INSERT INTO small (name) SELECT 'Person ' || g FROM generate_series(1, 100) g;`,
    [],
    db.name,
  );
  const tmp = mkdtempSync(path.join(os.tmpdir(), "anon-leftovers-"));
  const rules = path.join(tmp, "rules.yaml");
  writeFileSync(rules, "version: 1\ntables:\n  big: { columns: { note: keep } }\n  small: { columns: { name: name } }\n");
  const [ta, tb, tc] = [`${db.name}_a`, `${db.name}_b`, `${db.name}_c`] as const;
  const run = (target: string, ...extra: string[]) => startCli(["anonymize", "--source-url", db.url, "--target-url", pg.url(target), "--rules", rules, "--jobs", "1", ...extra], tmp);
  const workDirs = () => readdirSync(tmp).filter((n) => n.startsWith("odoo-deploy-anon-"));
  const a = run(ta);
  let locker: Awaited<ReturnType<typeof connect>> | undefined;
  let tempA: string | undefined;
  try {
    // Mid-copy: the big table streams into A's temporary database; `small`, copied after it, is locked there so
    // that A stops on it, alive, until it is killed.
    tempA = await until("A to copy the big table", 120_000, async () => {
      const r = await pg.query<{ datname: string }>("SELECT datname FROM pg_stat_activity WHERE datname LIKE $1 AND query LIKE 'COPY %big%FROM STDIN%'", [`${ta}_anon_%`]);
      return r[0]?.datname;
    });
    locker = await connect(pg.url(tempA));
    await locker.query("BEGIN");
    await locker.query("LOCK TABLE small IN ACCESS EXCLUSIVE MODE");
    await until("A to wait on the locked table", 120_000, async () => {
      const r = await pg.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock' AND query LIKE 'COPY %small%FROM STDIN%'", [tempA]);
      return r.length ? true : undefined;
    });
    expect(workDirs()).toHaveLength(1);
    const dirA = workDirs()[0]!;

    // B runs meanwhile: A's database and work directory are a live run's, and stay.
    const b = run(tb, "--json");
    expect(await b.exit, b.out().stderr).toBe(0);
    const report = JSON.parse(b.out().stdout) as { steps: { name: string; detail?: string }[]; removedLeftovers: { databases: string[]; workDirs: string[] } };
    expect(report.removedLeftovers).toEqual({ databases: [], workDirs: [] });
    expect(report.steps[0]).toMatchObject({ name: "leftovers", detail: expect.stringMatching(new RegExp(`^nothing left by killed runs; .*${tempA}: its run \\(pid ${a.proc.pid}\\) may still be running`)) });
    expect(await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [tempA])).toHaveLength(1);
    expect(workDirs()).toEqual([dirA]);

    a.proc.kill("SIGKILL");
    expect(await a.exit).toBeNull();
    await locker.query("COMMIT");
    await locker.end();
    locker = undefined;
    // Its sessions end as PostgreSQL notices the closed sockets.
    await until("A's sessions to end", 60_000, async () => ((await pg.query("SELECT 1 FROM pg_stat_activity WHERE datname = $1", [tempA])).length === 0 ? true : undefined));
    expect(await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [tempA])).toHaveLength(1);

    // The next run removes what A left, and says so on stderr.
    const c = run(tc);
    expect(await c.exit, c.out().stderr).toBe(0);
    expect(c.out().stderr).toContain(`anonymize: removed what killed runs left: database ${tempA}, work directory ${path.join(tmp, dirA)}`);
    expect(await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [tempA])).toEqual([]);
    expect(existsSync(path.join(tmp, dirA))).toBe(false);
    expect(workDirs()).toEqual([]);
    expect(await pg.query("SELECT count(*)::int AS n FROM small", [], tc)).toEqual([{ n: 100 }]);
  } finally {
    if (a.proc.exitCode === null && a.proc.signalCode === null) a.proc.kill("SIGKILL");
    await locker?.end().catch(() => {});
    for (const d of [ta, tb, tc, tempA]) if (d) await pg.dropDatabase(d);
    rmSync(tmp, { recursive: true, force: true });
  }
});

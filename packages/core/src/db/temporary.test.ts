import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe } from "vitest";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { createWorkDir, removeLeftoverWorkDirs, WORK_DIR_OWNER_FILE } from "../util/work-dir.js";
import { connect } from "./connection.js";
import { createTemporaryDatabase, removeLeftoverDatabases } from "./temporary.js";

/** The pid of a process that has exited: nothing runs under it (until the system reuses it). */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid!;
}

const marker = (o: { database: string; pid: number; host?: string; claim?: [number, number] }) =>
  `odoo-deploy temporary database: ${JSON.stringify({ purpose: "test", database: o.database, claim: o.claim ?? [1, 2], host: o.host ?? os.hostname(), pid: o.pid, createdAt: new Date().toISOString() })}`;

describe("temporary databases", () => {
  test("marked and claimed while the run lives; a published one is no longer a temporary database", async ({ pg, db }) => {
    const name = `${db.name}_tmp_a`;
    const temp = await createTemporaryDatabase({ url: db.url, name, purpose: "test" });
    try {
      const [row] = await pg.query<{ c: string }>("SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1", [name]);
      expect(JSON.parse(row!.c.replace(/^odoo-deploy temporary database: /, ""))).toMatchObject({ purpose: "test", database: name, pid: process.pid, host: os.hostname() });
      // Its run (this process) is alive and holds the claim: another run leaves it alone.
      const swept = await removeLeftoverDatabases({ url: pg.tcpUrl() });
      expect(swept.removed).not.toContain(name);
      expect(swept.kept).toContainEqual({ database: name, reason: expect.stringMatching(/may still be running/) });
      // Renamed (published), it is no longer a leftover even while still marked, then it is unmarked.
      await pg.query(`ALTER DATABASE "${name}" RENAME TO "${name}_pub"`);
      expect((await removeLeftoverDatabases({ url: pg.tcpUrl() })).kept.map((k) => k.database)).not.toContain(`${name}_pub`);
      await temp.publishedAs(`${name}_pub`);
      expect((await pg.query<{ c: string | null }>("SELECT shobj_description(oid, 'pg_database') AS c FROM pg_database WHERE datname = $1", [`${name}_pub`]))[0]!.c).toBeNull();
    } finally {
      await temp.discard();
      await pg.dropDatabase(`${name}_pub`);
    }
    const discarded = `${db.name}_tmp_b`;
    await (await createTemporaryDatabase({ url: db.url, name: discarded, purpose: "test" })).discard();
    expect(await pg.query("SELECT 1 FROM pg_database WHERE datname = $1", [discarded])).toEqual([]);
  });

  test("only a provable leftover is dropped: marker, its own name, a free claim, a dead owner, nobody connected", async ({ pg, db }) => {
    const n = (s: string) => `${db.name}_${s}`;
    const names = ["dead", "claimed", "elsewhere", "renamed", "unmarked_anon_deadbeef", "connected", "alive"].map(n);
    for (const name of names) await pg.createDatabase(name);
    const holder = await connect(pg.url());
    const visitor = await connect(pg.url(n("connected")));
    const comment = (name: string, text: string) => pg.query(`COMMENT ON DATABASE "${name}" IS '${text.replace(/'/g, "''")}'`);
    try {
      const dead = deadPid();
      await comment(n("dead"), marker({ database: n("dead"), pid: dead, claim: [11, 1] }));
      await comment(n("claimed"), marker({ database: n("claimed"), pid: dead, claim: [11, 2] }));
      await holder.query("SELECT pg_advisory_lock(11, 2)");
      // On another host the pid says nothing: the free claim decides.
      await comment(n("elsewhere"), marker({ database: n("elsewhere"), pid: 1, host: "another-host", claim: [11, 3] }));
      // A marker naming another database came with a copy or a rename: never a leftover.
      await comment(n("renamed"), marker({ database: n("renamed_before"), pid: dead, claim: [11, 4] }));
      await comment(n("connected"), marker({ database: n("connected"), pid: dead, claim: [11, 5] }));
      await comment(n("alive"), marker({ database: n("alive"), pid: process.pid, claim: [11, 6] }));
      const r = await removeLeftoverDatabases({ url: db.tcpUrl, purpose: "test" });
      expect(r.removed.filter((d) => names.includes(d)).sort()).toEqual([n("dead"), n("elsewhere")].sort());
      const kept = Object.fromEntries(r.kept.map((k) => [k.database, k.reason]));
      expect(kept[n("claimed")]).toMatch(/holds its claim/);
      expect(kept[n("connected")]).toMatch(/1 session\(s\) connected/);
      expect(kept[n("alive")]).toMatch(/may still be running/);
      const left = (await pg.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname = ANY($1) ORDER BY 1", [names])).map((x) => x.datname);
      expect(left).toEqual([n("alive"), n("claimed"), n("connected"), n("renamed"), n("unmarked_anon_deadbeef")].sort());
      // The claim released and the visitor gone, the next sweep removes them.
      await holder.query("SELECT pg_advisory_unlock(11, 2)");
      await visitor.end();
      expect((await removeLeftoverDatabases({ url: db.tcpUrl, purpose: "test" })).removed.sort()).toEqual([n("claimed"), n("connected")].sort());
    } finally {
      await holder.end();
      await visitor.end().catch(() => {});
      for (const name of names) await pg.dropDatabase(name);
    }
  });
});

describe("work directories", () => {
  test("removed only when ours, real, and owned by a process that is gone", () => {
    const parent = mkdtempSync(path.join(os.tmpdir(), "wd-test-"));
    try {
      const prefix = "odoo-deploy-test-";
      const live = createWorkDir(prefix, parent);
      const own = (dir: string, o: Record<string, unknown>) => {
        mkdirSync(dir);
        writeFileSync(path.join(dir, WORK_DIR_OWNER_FILE), JSON.stringify({ host: os.hostname(), createdAt: new Date().toISOString(), ...o }));
        return dir;
      };
      const dead = own(path.join(parent, `${prefix}dead`), { pid: deadPid() });
      // This very pid, but started at another time: a reused pid, its owner gone.
      const reused = own(path.join(parent, `${prefix}reused`), { pid: process.pid, pidStart: "1" });
      const elsewhere = own(path.join(parent, `${prefix}elsewhere`), { pid: deadPid(), host: "another-host" });
      const noOwner = path.join(parent, `${prefix}noowner`);
      mkdirSync(noOwner);
      const target = own(path.join(parent, "not-ours"), { pid: deadPid() });
      const link = path.join(parent, `${prefix}link`);
      symlinkSync(target, link);
      const other = own(path.join(parent, "other-prefix-dead"), { pid: deadPid() });
      const r = removeLeftoverWorkDirs(prefix, parent);
      expect(r.removed.sort()).toEqual([dead, reused].sort());
      for (const d of [live.path, elsewhere, noOwner, target, link, other]) expect(existsSync(d), d).toBe(true);
      expect(existsSync(path.join(target, WORK_DIR_OWNER_FILE))).toBe(true);
      live.remove();
      expect(existsSync(live.path)).toBe(false);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });
});

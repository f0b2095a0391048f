import { execFileSync } from "node:child_process";
import { createWriteStream, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import yazl from "yazl";
import { describe, expect, test } from "@odoo-deploy/testkit/vitest";
import { backupDatabase } from "./backup.js";
import { restoreDatabase } from "./restore.js";
import { verifyBackup } from "./verify.js";
import { odooShapedDb, tempDir } from "./test-helpers.js";

/**
 * A listener speaking just enough of PostgreSQL's protocol to ask for a cleartext password: what a connection
 * string smuggled into a database name would send the real password to.
 */
async function passwordTrap(): Promise<{ port: number; connections: () => number; passwords: string[]; close: () => Promise<void> }> {
  let connections = 0;
  const passwords: string[] = [];
  const server = net.createServer((sock) => {
    connections++;
    let buf = Buffer.alloc(0);
    let authAsked = false;
    sock.on("error", () => {});
    sock.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        if (!authAsked) {
          if (buf.length < 8 || buf.length < buf.readInt32BE(0)) return;
          const len = buf.readInt32BE(0);
          const code = buf.readInt32BE(4);
          buf = buf.subarray(len);
          // SSL or GSS encryption request: refused, the client goes on in clear text.
          if (code === 80877103 || code === 80877104) sock.write("N");
          else {
            sock.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])); // AuthenticationCleartextPassword
            authAsked = true;
          }
        } else {
          if (buf.length < 5 || buf.length < 1 + buf.readInt32BE(1)) return;
          const len = buf.readInt32BE(1);
          if (buf[0] === 0x70) passwords.push(buf.subarray(5, len).toString("utf8").replace(/\0$/, ""));
          sock.end();
          return;
        }
      }
    });
  });
  await new Promise<void>((res) => server.listen(0, "127.0.0.1", res));
  return {
    port: (server.address() as net.AddressInfo).port,
    connections: () => connections,
    passwords,
    close: () => new Promise((res) => server.close(() => res())),
  };
}

describe("no value from a backup or a config reaches a place libpq expands", () => {
  test("a manifest's db_name or a target name holding host=… port=… makes no connection there and sends no password", async ({ db, pg }) => {
    const trap = await passwordTrap();
    const work = tempDir("bs-libpq-");
    try {
      await odooShapedDb(pg, db.name, ["first attachment"]);
      const evil = `host=127.0.0.1 port=${trap.port} dbname=x`;
      // A stranger's zip: a real dump, a manifest whose db_name is a connection string.
      const zip = path.join(work, "stranger.zip");
      const z = new yazl.ZipFile();
      z.addBuffer(execFileSync(pg.bin("pg_dump"), ["--no-owner", pg.url(db.name)]), "dump.sql");
      z.addBuffer(Buffer.from(JSON.stringify({ odoo_dump: "1", db_name: evil, modules: {} })), "manifest.json");
      z.end();
      await pipeline(z.outputStream as NodeJS.ReadableStream, createWriteStream(zip));
      const withPassword = new URL(pg.tcpUrl("postgres"));
      withPassword.password = "s3cret-Passw0rd";

      const v = await verifyBackup({ path: zip, level: "restore", dbUrl: withPassword.toString() });
      expect(v.ok, JSON.stringify(v.checks)).toBe(true);
      expect(v.checks.find((c) => c.name === "scratch-restore")!.detail).toMatch(/scratch database host_127_0_0_1_port_\d+_\w*verify_\d{8}T/);

      // The target's name comes from the config (the URL): created as it is, never expanded.
      const target = withPassword.toString().replace(/\/postgres$/, `/${encodeURIComponent(`${evil}_t`)}`);
      const r = await restoreDatabase({ path: zip, dbUrl: target, journalDir: path.join(work, "journal") });
      expect(r.ok, JSON.stringify(r.steps)).toBe(true);
      expect(r.restoredAs).toBe(`${evil}_t`);
      const b = await backupDatabase({ dbUrl: target, directory: path.join(work, "backups"), verify: "restore" });
      expect(b.ok, JSON.stringify(b.verification?.checks ?? b.steps)).toBe(true);

      expect(trap.passwords).toEqual([]);
      expect(trap.connections()).toBe(0);
      await pg.dropDatabase(`${evil}_t`);
      expect(await pg.query("SELECT datname FROM pg_database WHERE datname LIKE 'host%'")).toEqual([]);
    } finally {
      await trap.close();
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("runs started in the same second never share a name or clean up each other's", () => {
  test("two restores of one target at once (kept, then swapped): both succeed, neither drops the other's database", async ({ db, pg }) => {
    const work = tempDir("bs-twice-");
    const srcFs = path.join(work, "src");
    await odooShapedDb(pg, db.name, ["first attachment", "second attachment"], srcFs);
    const b = await backupDatabase({ dbUrl: db.url, directory: path.join(work, "backups"), filestoreDir: srcFs, rowCounts: true, verify: false });
    const target = `${db.name}_t`;
    await pg.createDatabase(target);
    await odooShapedDb(pg, target, ["old attachment"], path.join(work, "filestore", target));
    const opts = { path: b.path!, dbUrl: pg.url(target), filestoreDir: path.join(work, "filestore", target), journalDir: path.join(work, "journal") };

    const kept = await Promise.all([restoreDatabase(opts), restoreDatabase(opts)]);
    expect(kept.map((r) => r.ok), JSON.stringify(kept.map((r) => r.steps))).toEqual([true, true]);
    expect(kept[0]!.restoredAs).not.toBe(kept[1]!.restoredAs);
    for (const r of kept) expect(await pg.query("SELECT count(*)::int AS n FROM res_partner", [], r.restoredAs)).toEqual([{ n: 200 }]);

    const swapped = await Promise.all([restoreDatabase({ ...opts, swap: true }), restoreDatabase({ ...opts, swap: true })]);
    expect(swapped.map((r) => r.ok), JSON.stringify(swapped.map((r) => r.steps))).toEqual([true, true]);
    // One after the other: each put its copy in place and kept what was there aside, with its filestore.
    const asides = swapped.map((r) => r.asideDatabase!);
    expect(new Set(asides).size).toBe(2);
    expect(readdirSync(path.join(work, "filestore")).sort()).toEqual([target, ...asides, ...kept.map((r) => r.restoredAs!)].sort());
    const names = (await pg.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1 ORDER BY 1", [`${target}%`])).map((x) => x.datname);
    expect(names).toEqual([target, ...asides, ...kept.map((r) => r.restoredAs!)].sort());
    for (const n of names) await pg.dropDatabase(n);
    rmSync(work, { recursive: true, force: true });
  }, 120_000);

  test("three backups of one database into one directory at once: three published backups, each good", async ({ db, pg }) => {
    const out = tempDir("bs-backups-");
    await odooShapedDb(pg, db.name, []);
    const rs = await Promise.all([0, 1, 2].map(() => backupDatabase({ dbUrl: db.url, directory: out })));
    expect(rs.map((r) => r.ok), JSON.stringify(rs.map((r) => r.steps))).toEqual([true, true, true]);
    expect(new Set(rs.map((r) => r.path)).size).toBe(3);
    expect(readdirSync(out).sort()).toEqual(rs.map((r) => path.basename(r.path!)).sort());
    for (const r of rs) expect((await verifyBackup({ path: r.path!, record: false })).ok).toBe(true);
    rmSync(out, { recursive: true, force: true });
  }, 120_000);
});

/**
 * The CLI's `deploy`, `rollback` and `deploy list` from an odoo-deploy.yaml, with Odoo as a systemd-like unit on
 * a host reached over the loopback SSH runner (an unprivileged user runs systemctl, odoo-bin and the filestore
 * operations there), real PostgreSQL, a real git repository.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createSshRunner, waitForHealthy, type DeployReport, type ListDeploysReport, type RollbackReport } from "@odoo-deploy/core";
import { createServiceDouble, freePort, odooDoubleScriptPath } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { runCaptured } from "../packages/cli/src/test-helpers.js";
import { createDeployEnv } from "./support/deploy-env.js";

test("deploy, a failed deploy rolled back, then the one-off rollback, with a systemd unit over SSH, all through the CLI", async ({ pg, db, gitRepo, sshd }) => {
  const env = await createDeployEnv(pg, db, gitRepo);
  const sd = createServiceDouble(path.join(env.work, "service"));
  const port = await freePort();
  const pgVars = Object.entries(env.pgEnv).map(([k, v]) => `${k}=${v}`).join(" ");
  // odoo-bin on the Odoo host: the double, with the libpq variables of the cluster.
  const odooBin = path.join(sd.dir, "odoo-bin");
  writeFileSync(odooBin, `#!/bin/sh\nexec env ${pgVars} ${process.execPath} ${await odooDoubleScriptPath()} "$@"\n`, { mode: 0o755 });
  sd.define("odoo", `${odooBin} --addons-path ${env.addons} -d ${db.name} --http-port ${port}`);
  // The unprivileged SSH user reads the code and owns the filestore, as Odoo's user would.
  for (const d of [env.work, gitRepo.dir]) chmodSync(d, 0o755);
  execFileSync("chmod", ["-R", "a+rX", gitRepo.dir, env.work]);
  execFileSync("chown", ["-R", sshd.user, env.dataDir]);
  const ssh = { host: sshd.host, port: sshd.port, user: sshd.user, privateKeyPath: sshd.privateKeyPath, knownHostsPath: sshd.knownHostsPath };
  const host = createSshRunner(ssh);
  const url = `http://127.0.0.1:${port}`;
  try {
    await host.exec([sd.systemctl, "set-environment", `ODOO_DEPLOY_REVISION=${env.v1}`]);
    await host.exec([sd.systemctl, "start", "odoo.service"]);
    expect((await waitForHealthy({ url, dbName: db.name, timeoutMs: 20_000 })).ok).toBe(true);
    const yaml = path.join(env.work, "odoo-deploy.yaml");
    writeFileSync(
      yaml,
      JSON.stringify({
        version: 1,
        environments: {
          prod: {
            database: { url: db.url },
            odoo: { runner: "ssh", ssh, odooBin, addonsPath: env.addons },
            repo: { root: gitRepo.dir, addonsPaths: ["addons"] },
            backups: { directory: env.backupDir, filestoreDir: env.filestoreDir },
            health: { url, timeout: "20s" },
            deploy: { service: { systemdUnit: "odoo.service", systemctl: sd.systemctl }, filestoreOn: "odoo", smoke: ["/web/login"] },
          },
        },
      }),
    );
    const cli = (...args: string[]) => runCaptured(["--file", yaml, ...args, "--json"], { env: {} });

    const beforeV2 = await env.fingerprint();
    const v2 = await env.commit("version-bump");
    const dry = await cli("deploy", "--dry-run");
    expect(dry.code, dry.stderr).toBe(0);
    const plan = dry.json<DeployReport>();
    expect(plan.wouldRun?.map((w) => w.name)).toEqual(["lock", "backup", "stop", "rollback-point", "migrate", "start", "health", "record"]);
    expect(plan.wouldRun?.find((w) => w.name === "stop")?.commands[0]).toBe(`${sd.systemctl} stop odoo.service`);
    expect(plan.wouldRun?.find((w) => w.name === "migrate")?.commands[0]).toContain(`-u lab_demo --stop-after-init --no-http --addons-path ${env.addons} (on ssh:${sshd.user}@127.0.0.1:${sshd.port})`);
    expect(await env.fingerprint()).toEqual(beforeV2);

    const good = await cli("deploy");
    expect(good.code, good.stdout + good.stderr).toBe(0);
    const r = good.json<DeployReport>();
    expect(r.ok).toBe(true);
    expect(r.migrate?.runner).toBe(`ssh:${sshd.user}@127.0.0.1:${sshd.port}`);
    expect(r.health?.checks.at(-1)).toMatchObject({ name: "smoke /web/login", status: "ok" });
    expect(sd.startedRevision("odoo")).toBe(v2);

    // A broken revision: rolled back, exit 1, v2 serving on the database as it was.
    const beforeV3 = await env.fingerprint();
    await env.commit("bad-xmlid");
    const bad = await cli("deploy");
    expect(bad.code).toBe(1);
    const b = bad.json<DeployReport>();
    expect(b).toMatchObject({ ok: false, rolledBack: true, status: "rolled-back", failure: { step: "migrate", code: "MIGRATE_FAILED" } });
    expect(await env.fingerprint()).toEqual(beforeV3);
    expect(sd.startedRevision("odoo")).toBe(v2);

    // The 2 a.m. rollback: the last good deploy undone, v1 serving on the database of before it.
    const back = await cli("rollback");
    expect(back.code, back.stdout).toBe(0);
    const rb = back.json<RollbackReport>();
    expect(rb).toMatchObject({ ok: true, rolledBack: true, id: r.id, rowsSince: [] });
    expect(await env.fingerprint()).toEqual(beforeV2);
    expect(sd.startedRevision("odoo")).toBe(env.v1);
    expect((await waitForHealthy({ url, dbName: db.name, timeoutMs: 20_000 })).ok).toBe(true);

    const list = (await cli("deploy", "list")).json<ListDeploysReport>();
    expect(list.deploys.map((d) => `${d.kind}:${d.status}`)).toEqual(["rollback:succeeded", "deploy:rolled-back", "deploy:succeeded"]);
    expect(list.deploys[2]!.undoneBy).toBe(rb.rollbackId);
  } finally {
    await host.exec([sd.systemctl, "stop", "odoo.service"]).catch(() => {});
    await host.close();
    execFileSync("chown", ["-R", "root", env.dataDir]);
    env.cleanup();
  }
});

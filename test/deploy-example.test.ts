/**
 * examples/deploy.ts as a user would run it: a good release, then a broken one rolled back automatically with
 * the previous revision serving the database of before it. The service is a real background process managed by
 * shell commands.
 */
import path from "node:path";
import { createCommandsService, createLocalRunner, DEPLOYED_REVISION_KEY, DeployJournal, rollbackDeploy, waitForHealthy } from "@odoo-deploy/core";
import { createServiceDouble, freePort, odooDoubleArgv } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { release } from "../examples/deploy.js";
import { createDeployEnv } from "./support/deploy-env.js";

test("the release example: a good revision deployed, a broken one rolled back", async ({ pg, db, gitRepo }) => {
  const env = await createDeployEnv(pg, db, gitRepo);
  const sd = createServiceDouble(path.join(env.work, "service"));
  const port = await freePort();
  const double = await odooDoubleArgv();
  sd.define("odoo", `env PGHOST=${env.pgEnv.PGHOST} PGPORT=${env.pgEnv.PGPORT} PGUSER=postgres ${double.join(" ")} --addons-path ${env.addons} -d ${db.name} --http-port ${port}`);
  const local = createLocalRunner({ env: env.pgEnv });
  const service = createCommandsService({ runner: local, stopCommand: `${sd.serviceBin} stop odoo`, startCommand: `${sd.serviceBin} start odoo`, statusCommand: `${sd.serviceBin} status odoo` });
  const healthUrl = `http://127.0.0.1:${port}`;
  await service.start({ revision: env.v1 });
  try {
    expect((await waitForHealthy({ url: healthUrl, dbName: db.name, timeoutMs: 20_000 })).ok).toBe(true);
    const lines: string[] = [];
    const common = {
      dbUrl: db.url,
      repo: path.dirname(env.addons),
      addonsPaths: ["addons"],
      backupDir: env.backupDir,
      service,
      healthUrl,
      log: (l: string) => lines.push(l),
      more: { odooRunner: local, odooBin: double, odooAddonsPath: env.addons, filestore: { runner: local, dir: env.filestoreDir } },
    };
    const v2 = await env.commit("version-bump");
    const good = await release({ ...common, revision: v2 });
    expect(good.ok).toBe(true);
    expect(sd.startedRevision("odoo")).toBe(v2);
    expect(lines.at(-1)).toMatch(new RegExp(`^deployed ${v2} in \\d+ ms`));

    const before = await env.fingerprint();
    const v3 = await env.commit("bad-view-field");
    const bad = await release({ ...common, revision: v3 });
    expect(bad).toMatchObject({ ok: false, rolledBack: true, failure: { step: "migrate" } });
    expect(lines.at(-1)).toMatch(/failed at migrate: .* — rolled back, the previous code serves$/);
    expect(lines).toContain("rollback restore-database: ok — " + bad.rollback!.steps.find((s) => s.name === "restore-database")!.detail);
    expect(await env.fingerprint()).toEqual(before);
    expect(sd.startedRevision("odoo")).toBe(v2);
    const rev = await pg.query<{ value: string }>("SELECT value FROM ir_config_parameter WHERE key = $1", [DEPLOYED_REVISION_KEY], db.name);
    expect(rev[0]!.value).toBe(v2);

    // A newer good deploy: retention (keep 1) drops the older rollback point, keeps the newest of each kind.
    const v4 = await env.commit("good");
    const newer = await release({ ...common, revision: v4 });
    expect(newer.ok).toBe(true);
    const journal = new DeployJournal(env.backupDir);
    const [first, , last] = await journal.list();
    expect(first!.rollbackPointDropped).toBeTruthy();
    const names = (await pg.query<{ d: string }>("SELECT datname AS d FROM pg_database WHERE datname LIKE $1 ORDER BY 1", [`${db.name}\\_%`])).map((x) => x.d);
    expect(names).toEqual([bad.rollback ? (await journal.load(bad.id)).failedDatabase : "", last!.rollbackPoint!.database].sort());

    // The rollback point no longer fits the code it would start (a module changed in it by hand): refused.
    await pg.query("UPDATE ir_module_module SET latest_version = '16.0.9.9.9' WHERE name = 'lab_extra'", [], last!.rollbackPoint!.database);
    const refused = await rollbackDeploy({ dbUrl: db.url, backupDir: env.backupDir, service, healthUrl });
    expect(refused).toMatchObject({ ok: false, rolledBack: false, failure: { step: "fit", code: "ROLLBACK_MISFIT" } });
    expect(refused.failure?.message).toContain("lab_extra is 16.0.9.9.9 in the rollback point, the previous code ran 16.0.1.3");
    expect(sd.startedRevision("odoo")).toBe(v4);
  } finally {
    await service.stop();
    env.cleanup();
  }
});

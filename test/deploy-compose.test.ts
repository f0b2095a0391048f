/**
 * deployOdoo with Odoo as a Compose service (Compose v1, `docker-compose`, the one Debian packages), the image
 * taken from `${ODOO_DEPLOY_IMAGE}` in the compose file, the migration in `docker-compose run --rm`; and the
 * outcome POSTed to --notify-url, retried when the receiver fails once.
 */
import http from "node:http";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { createComposeService, createLocalRunner, deployOdoo, waitForHealthy } from "@odoo-deploy/core";
import { freePort, odooDoubleImage, odooImageServerArgv, ODOO_IMAGE_PATHS } from "@odoo-deploy/testkit";
import { expect, test } from "@odoo-deploy/testkit/vitest";
import { createDeployEnv } from "./support/deploy-env.js";

test("a Compose service deployed on a new image, a broken one rolled back; the outcome POSTed, retried once", async ({ pg, db, gitRepo, docker: _docker }) => {
  const compose = await execa("docker-compose", ["version"], { reject: false });
  if (compose.exitCode !== 0) throw new Error("docker-compose is missing (apt-get install docker-compose): .ci/run installs it");
  const env = await createDeployEnv(pg, db, gitRepo);
  const v1Image = await odooDoubleImage("odoo-deploy-test/odoo:v1", env.addons);
  const port = await freePort();
  const project = `odt${Date.now().toString(36)}`;
  const file = path.join(env.work, "docker-compose.yml");
  writeFileSync(
    file,
    JSON.stringify({
      version: "2.4",
      services: {
        odoo: {
          image: "${ODOO_DEPLOY_IMAGE:-" + v1Image + "}",
          network_mode: "host",
          command: odooImageServerArgv(db.name, port),
          environment: env.pgEnv,
          volumes: [`${env.dataDir}:${env.dataDir}`],
          labels: { "odoo-deploy.testkit": "true" },
        },
      },
    }),
  );
  const local = createLocalRunner();
  const received: unknown[] = [];
  let calls = 0;
  const hook = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      calls++;
      if (calls % 2 === 1) return res.writeHead(503).end();
      received.push(JSON.parse(body));
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", () => r()));
  const hookUrl = `http://127.0.0.1:${(hook.address() as { port: number }).port}/hook`;
  const service = createComposeService({ runner: local, project, files: [file], service: "odoo", command: ["docker-compose"] });
  try {
    await service.start({});
    const url = `http://127.0.0.1:${port}`;
    expect((await waitForHealthy({ url, dbName: db.name, timeoutMs: 30_000 })).ok).toBe(true);
    const common = {
      dbUrl: db.url,
      repo: path.dirname(env.addons),
      addonsPaths: ["addons"],
      service,
      odooBin: [process.execPath, ODOO_IMAGE_PATHS.script],
      odooAddonsPath: ODOO_IMAGE_PATHS.addons,
      backupDir: env.backupDir,
      filestore: { runner: local, dir: env.filestoreDir },
      healthUrl: url,
      healthTimeoutMs: 20_000,
      notifyUrl: hookUrl,
    };
    const v2 = await env.commit("version-bump");
    const v2Image = await odooDoubleImage("odoo-deploy-test/odoo:v2", env.addons);
    const r = await deployOdoo({ ...common, to: v2, image: v2Image });
    expect(r.failure).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.migrate?.runner).toBe("compose run odoo on local");
    expect((await service.status()).image).toBe(v2Image);
    expect(r.notified).toMatchObject({ ok: true, attempts: 2 });
    expect(received[0]).toMatchObject({ kind: "deploy", id: r.id, ok: true, rolledBack: false, to: { image: v2Image, revision: v2 } });

    const before = await env.fingerprint();
    const v3 = await env.commit("syntax-error");
    const brokenImage = await odooDoubleImage("odoo-deploy-test/odoo:syntax-error", env.addons);
    const failed = await deployOdoo({ ...common, to: v3, image: brokenImage });
    expect(failed).toMatchObject({ ok: false, rolledBack: true, failure: { step: "migrate" } });
    expect(await env.fingerprint()).toEqual(before);
    expect((await service.status()).image).toBe(v2Image);
    expect(received[1]).toMatchObject({ kind: "deploy", id: failed.id, ok: false, rolledBack: true, failure: { step: "migrate", code: "MIGRATE_FAILED" } });
    const oneOffs = (await execa("docker", ["ps", "-aq", "--filter", `label=odoo-deploy.deploy=${failed.id}`])).stdout.trim();
    expect(oneOffs).toBe("");
  } finally {
    await execa("docker-compose", ["-f", file, "-p", project, "down", "--remove-orphans"], { reject: false });
    hook.close();
    env.cleanup();
  }
});

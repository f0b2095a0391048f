import { execa } from "execa";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test, expect } from "@odoo-deploy/testkit/vitest";
import type { DockerFixture } from "@odoo-deploy/testkit/vitest";
import { IMAGE_USER } from "@odoo-deploy/testkit";
import { createDockerRunner, parseEnvFile } from "./docker.js";
import { parseDockerHost } from "./docker-client.js";
import { createRunner } from "./create.js";
import { findComposeContainer, findComposeContainers, inspectContainer, restartContainer, startContainer, stopContainer } from "./docker-containers.js";

const NODE = process.execPath;
const image = (docker: DockerFixture) => docker.nodeImage({ binaries: ["/bin/sh", "/bin/cat", "/usr/bin/tr", "/usr/bin/grep", "/usr/bin/sleep"] });

test("one-off container: env file, env, user, bind mount and network; removed afterwards", async ({ docker }) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-docker-test-"));
  const label = randomUUID();
  try {
    chmodSync(dir, 0o755); // readable by the container's unprivileged user
    writeFileSync(path.join(dir, "data.txt"), "from the host\n");
    const envFile = path.join(dir, "odoo.env");
    writeFileSync(envFile, "# comment\nFROM_FILE=file value with spaces\nOVERRIDDEN=file\n");
    const runner = createDockerRunner({
      image: await image(docker),
      envFile,
      env: { OVERRIDDEN: "options" },
      user: IMAGE_USER.name,
      network: "host",
      mounts: [{ source: dir, target: "/mnt/in", readOnly: true }],
      labels: { "odoo-deploy.test": label },
    });
    const script = `const fs = require("fs"); console.log(JSON.stringify({ uid: process.getuid(), file: process.env.FROM_FILE,
      over: process.env.OVERRIDDEN, data: fs.readFileSync("/mnt/in/data.txt", "utf8"),
      ifaces: Object.keys(require("os").networkInterfaces()).sort() }))`;
    const r = await runner.exec([NODE, "-e", script]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      uid: IMAGE_USER.uid,
      file: "file value with spaces",
      over: "options",
      data: "from the host\n",
      ifaces: Object.keys(os.networkInterfaces()).sort(),
    });
    const ro = await runner.exec([NODE, "-e", "require('fs').writeFileSync('/mnt/in/x', 'x')"]);
    expect(ro.exitCode).not.toBe(0);
    expect(ro.stderr).toMatch(/EROFS|read-only/);
    const left = await execa("docker", ["ps", "-a", "-q", "--filter", `label=odoo-deploy.test=${label}`]);
    expect(left.stdout.trim()).toBe("");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("exec abort works from inside the container too (engine not on this host)", async ({ docker }) => {
  const c = await docker.startContainer(await image(docker));
  try {
    const runner = createDockerRunner({ container: c.name, killFrom: "container" });
    const ac = new AbortController();
    const cmd = runner.spawn([NODE, "-e", "console.log(process.pid); setInterval(() => {}, 1000)"], { signal: ac.signal });
    const pid = await new Promise<number>((resolve) => cmd.stdout.once("data", (d: Buffer) => resolve(Number(String(d).trim()))));
    ac.abort();
    const r = await cmd.result;
    expect(r.canceled).toBe(true);
    const ps = await runner.exec(["sh", "-c", `test -d /proc/${pid} && cat /proc/${pid}/stat || echo gone`]);
    expect(ps.stdout.trim() === "gone" || / Z /.test(ps.stdout)).toBe(true);
  } finally {
    await c.remove();
  }
});

test("lifecycle: find a Compose service's container by labels, inspect, stop, start, restart", async ({ docker }) => {
  const project = `p${randomUUID().slice(0, 8)}`;
  const img = await image(docker);
  const web = await docker.startContainer(img, {
    labels: { "com.docker.compose.project": project, "com.docker.compose.service": "web", "com.docker.compose.container-number": "1" },
    args: ["--health-cmd", `${NODE} -e "process.exit(0)"`, "--health-interval", "1s", "--env", "WHO=web"],
  });
  const other = await docker.startContainer(img, {
    labels: { "com.docker.compose.project": project, "com.docker.compose.service": "db" },
    args: ["--env", "WHO=db"],
  });
  try {
    const found = await findComposeContainer({ project, service: "web" });
    expect(found).toMatchObject({ id: web.id, name: web.name, image: img, state: "running", running: true });
    expect(["starting", "healthy"]).toContain(found.health);
    expect(found.labels["com.docker.compose.service"]).toBe("web");

    await stopContainer({ container: web.name, timeoutSeconds: 2 });
    expect((await inspectContainer({ container: web.id })).state).toBe("exited");
    expect(await findComposeContainers({ project, service: "web" })).toEqual([]);
    expect((await findComposeContainers({ project, service: "web", all: true })).map((c) => c.id)).toEqual([web.id]);
    await expect(findComposeContainer({ project, service: "web" })).rejects.toMatchObject({ code: "DOCKER_CONTAINER_NOT_FOUND" });
    await stopContainer({ container: web.name }); // already stopped: not an error

    await startContainer({ container: web.name });
    const started = await inspectContainer({ container: web.name });
    expect(started.running).toBe(true);
    await restartContainer({ container: web.name, timeoutSeconds: 2 });
    const restarted = await inspectContainer({ container: web.name });
    expect(restarted.running).toBe(true);
    expect(restarted.startedAt > started.startedAt).toBe(true);

    await expect(inspectContainer({ container: `missing-${randomUUID()}` })).rejects.toMatchObject({ code: "DOCKER_CONTAINER_NOT_FOUND" });

    // A runner aimed at the Compose service (through a DOCKER_HOST-style URL) execs in that service's container.
    const viaCompose = createRunner({ kind: "docker", compose: { project, service: "web" }, docker: "unix:///var/run/docker.sock" });
    expect(viaCompose.description).toBe(`docker-compose:${project}/web`);
    expect((await viaCompose.exec([NODE, "-e", "console.log(process.env.WHO)"])).stdout).toBe("web\n");
    const none = createRunner({ kind: "docker", compose: { project, service: "nope" } });
    await expect(none.exec(["true"])).rejects.toMatchObject({ code: "DOCKER_CONTAINER_NOT_FOUND" });
  } finally {
    await web.remove();
    await other.remove();
  }
});

test("exec in a missing container rejects with a typed error; options are validated", async ({ docker }) => {
  void docker;
  const runner = createDockerRunner({ container: `missing-${randomUUID()}` });
  await expect(runner.exec(["true"])).rejects.toMatchObject({ code: "DOCKER_NOT_FOUND" });
  // Through spawn, awaiting only the result: the typed error, no unhandled stream error.
  await expect(runner.spawn(["true"]).result).rejects.toMatchObject({ code: "DOCKER_NOT_FOUND" });
  expect(() => createDockerRunner({})).toThrow(/exactly one of/);
  expect(() => createDockerRunner({ container: "a", compose: { project: "p", service: "s" } })).toThrow(/exactly one of/);
  expect(() => createDockerRunner({ container: "a", image: "b" })).toThrow(/exactly one of/);
});

test("env files parse like docker --env-file", () => {
  process.env.ODOO_DEPLOY_TEST_PASSTHROUGH = "from-process";
  expect(parseEnvFile("# c\n\nA=1\nB= spaced = value \nC=\"quoted\"\nODOO_DEPLOY_TEST_PASSTHROUGH\nUNSET_ODOO_DEPLOY_X\r\n")).toEqual({
    A: "1",
    B: " spaced = value ",
    C: '"quoted"',
    ODOO_DEPLOY_TEST_PASSTHROUGH: "from-process",
  });
});

test("DOCKER_HOST-style URLs", () => {
  expect(parseDockerHost("unix:///run/docker.sock")).toEqual({ socketPath: "/run/docker.sock" });
  expect(parseDockerHost("tcp://10.0.0.5:2375")).toEqual({ host: "10.0.0.5", port: 2375, protocol: "http" });
  expect(parseDockerHost("https://docker.example.com")).toEqual({ host: "docker.example.com", port: 2376, protocol: "https" });
  expect(() => parseDockerHost("ssh://user@host")).toThrow(/unsupported Docker host/);
});

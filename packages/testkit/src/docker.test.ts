import { execa } from "execa";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { test, expect } from "./vitest.js";
import { IMAGE_USER } from "./docker.js";

test("a container from the registry-free node image runs on the local engine, host network, unprivileged user", async ({ docker }) => {
  const image = await docker.nodeImage();
  const out = await docker.run(
    image,
    [process.execPath, "-e", "const os = require('os'); console.log(JSON.stringify({ uid: process.getuid(), user: os.userInfo().username, ifaces: Object.keys(os.networkInterfaces()).sort() }))"],
    { user: IMAGE_USER.name },
  );
  const facts = JSON.parse(out) as { uid: number; user: string; ifaces: string[] };
  expect(facts).toMatchObject({ uid: IMAGE_USER.uid, user: IMAGE_USER.name });
  // Host network: the container sees exactly this host's interfaces.
  expect(facts.ifaces).toEqual(Object.keys(os.networkInterfaces()).sort());
  // Small: the node binary and its libraries only.
  const size = Number((await execa("docker", ["image", "inspect", "--format", "{{.Size}}", image])).stdout);
  expect(size).toBeLessThan(160 * 1024 * 1024);
});

test("buildImage copies a binary with the libraries ldd lists, and reuses an unchanged image", async ({ docker }) => {
  const marker = path.join(mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-image-test-")), "marker.txt");
  writeFileSync(marker, "copied into the image\n");
  const opts = { tag: "odoo-deploy-test/harness-sh:local", binaries: ["/bin/sh", "/bin/cat"], dirs: ["/data"], files: { "/etc/odoo-deploy/marker.txt": marker } };
  const tag = await docker.buildImage(opts);
  const id1 = (await execa("docker", ["image", "inspect", "--format", "{{.Id}}", tag])).stdout;
  expect(
    await docker.run(tag, ["sh", "-c", "echo made-of-host-files | cat; test -d /data && test -w /tmp && echo dirs-ok; cat /etc/odoo-deploy/marker.txt"]),
  ).toBe("made-of-host-files\ndirs-ok\ncopied into the image");
  // A second build with the same inputs (even from a fresh cache in another process) keeps the same image.
  const again = await execa(process.execPath, ["--import", "tsx", "-e", `import("${new URL("./docker.ts", import.meta.url).pathname}").then(m => m.buildImage(${JSON.stringify(opts)}))`], { reject: false });
  expect(again.exitCode, String(again.stderr)).toBe(0);
  const id2 = (await execa("docker", ["image", "inspect", "--format", "{{.Id}}", tag])).stdout;
  expect(id2).toBe(id1);
  rmSync(path.dirname(marker), { recursive: true, force: true });
});

test("buildImage rebuilds when a file inside a copied directory changes", async ({ docker }) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-image-dir-"));
  try {
    writeFileSync(path.join(dir, "a.txt"), "version 1\n");
    const opts = { tag: "odoo-deploy-test/harness-dir:local", binaries: ["/bin/cat"], files: { "/srv/app": dir } };
    const tag = await docker.buildImage(opts);
    expect(await docker.run(tag, ["/bin/cat", "/srv/app/a.txt"])).toBe("version 1");
    writeFileSync(path.join(dir, "a.txt"), "version 2\n");
    // A fresh process (no in-memory cache) must see the change through the content hash.
    const again = await execa(process.execPath, ["--import", "tsx", "-e", `import("${new URL("./docker.ts", import.meta.url).pathname}").then(m => m.buildImage(${JSON.stringify(opts)}))`], { reject: false });
    expect(again.exitCode, String(again.stderr)).toBe(0);
    expect(await docker.run(tag, ["/bin/cat", "/srv/app/a.txt"])).toBe("version 2");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

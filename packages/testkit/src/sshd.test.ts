import { execa } from "execa";
import { readFileSync, statSync } from "node:fs";
import { test, expect } from "./vitest.js";

test("a command runs over the loopback sshd, as the test user, with the host key pinned", async ({ sshd }) => {
  const r = await execa(
    "ssh",
    [
      "-i", sshd.privateKeyPath,
      "-p", String(sshd.port),
      "-o", `UserKnownHostsFile=${sshd.knownHostsPath}`,
      "-o", "StrictHostKeyChecking=yes",
      "-o", "BatchMode=yes",
      `${sshd.user}@${sshd.host}`,
      "id -un; echo hello-over-ssh",
    ],
    { reject: false, encoding: "utf8" },
  );
  expect(r.stderr).toBe("");
  expect(r.stdout.split("\n")).toEqual([sshd.user, "hello-over-ssh"]);
  expect(sshd.hostKeyFingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
  expect(statSync(sshd.privateKeyPath).mode & 0o077).toBe(0);
  expect(readFileSync(sshd.knownHostsPath, "utf8")).toContain(`[127.0.0.1]:${sshd.port} ssh-ed25519 `);
});

test("the loopback sshd refuses a client that does not know its host key", async ({ sshd }) => {
  const r = await execa(
    "ssh",
    ["-i", sshd.privateKeyPath, "-p", String(sshd.port), "-o", "UserKnownHostsFile=/dev/null", "-o", "StrictHostKeyChecking=yes",
      "-o", "BatchMode=yes", `${sshd.user}@${sshd.host}`, "true"],
    { reject: false, encoding: "utf8" },
  );
  expect(r.exitCode).toBe(255);
  expect(r.stderr).toMatch(/host key/i);
});

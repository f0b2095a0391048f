import { execa } from "execa";
import { randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { test, expect } from "@odoo-deploy/testkit/vitest";
import type { Sshd } from "@odoo-deploy/testkit";
import { freePort, startSshd } from "@odoo-deploy/testkit";
import { createSshRunner, type SshRunnerOptions } from "./ssh.js";
import { checkKnownHosts, hostKeyFingerprint } from "./known-hosts.js";

const base = (sshd: Sshd): SshRunnerOptions => ({
  host: sshd.host,
  port: sshd.port,
  user: sshd.user,
  privateKeyPath: sshd.privateKeyPath,
  knownHostsPath: sshd.knownHostsPath,
});

function descendants(pid: number): number[] {
  const parent = new Map<number, number>();
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const st = readFileSync(`/proc/${d}/stat`, "utf8");
      parent.set(Number(d), Number(st.slice(st.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      /* exited */
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const [child, pp] of parent) {
      if (pp !== p) continue;
      out.push(child);
      walk(child);
    }
  };
  walk(pid);
  return out;
}

function tempDir(): string {
  return mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-ssh-test-"));
}

async function otherKey(dir: string): Promise<{ privateKeyPath: string; pubLine: string }> {
  const p = path.join(dir, "other_ed25519");
  await execa("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", p]);
  return { privateKeyPath: p, pubLine: readFileSync(`${p}.pub`, "utf8").trim() };
}

async function connectError(options: SshRunnerOptions): Promise<Error & { code?: string }> {
  const runner = createSshRunner(options);
  try {
    await runner.exec(["true"]);
  } catch (e) {
    return e as Error & { code?: string };
  } finally {
    await runner.close();
  }
  throw new Error("expected the connection to be refused");
}

test("host key: known_hosts and a pinned fingerprint are accepted", async ({ sshd }) => {
  const viaKnownHosts = createSshRunner(base(sshd));
  const pinned = createSshRunner({ ...base(sshd), knownHostsPath: "/nonexistent", hostKeyFingerprint: sshd.hostKeyFingerprint });
  try {
    expect((await viaKnownHosts.exec(["id", "-un"])).stdout.trim()).toBe(sshd.user);
    expect((await pinned.exec(["id", "-un"])).stdout.trim()).toBe(sshd.user);
  } finally {
    await viaKnownHosts.close();
    await pinned.close();
  }
});

test("host key: an unknown host is refused unless explicitly allowed", async ({ sshd }) => {
  const err = await connectError({ ...base(sshd), knownHostsPath: "/nonexistent/known_hosts" });
  expect(err.code).toBe("SSH_HOST_KEY_UNKNOWN");
  expect(err.message).toContain(sshd.hostKeyFingerprint);
  const allowed = createSshRunner({ ...base(sshd), knownHostsPath: "/nonexistent/known_hosts", hostKeyPolicy: "accept-unknown" });
  try {
    expect((await allowed.exec(["echo", "ok"])).stdout).toBe("ok\n");
  } finally {
    await allowed.close();
  }
});

test("host key: a changed key (known_hosts or pin) is refused even with accept-unknown", async ({ sshd }) => {
  const dir = tempDir();
  try {
    const { pubLine } = await otherKey(dir);
    const [type, b64] = pubLine.split(" ");
    const wrongKnownHosts = path.join(dir, "known_hosts");
    // Hashed host name, as `ssh-keygen -H` writes it.
    writeFileSync(wrongKnownHosts, `[127.0.0.1]:${sshd.port} ${type} ${b64}\n`);
    await execa("ssh-keygen", ["-H", "-f", wrongKnownHosts]);
    expect(readFileSync(wrongKnownHosts, "utf8")).toMatch(/^\|1\|/);
    const changed = await connectError({ ...base(sshd), knownHostsPath: wrongKnownHosts, hostKeyPolicy: "accept-unknown" });
    expect(changed.code).toBe("SSH_HOST_KEY_CHANGED");
    expect(changed.message).toMatch(/man-in-the-middle/);
    const wrongPin = hostKeyFingerprint(Buffer.from(b64!, "base64"));
    const pinned = await connectError({ ...base(sshd), hostKeyFingerprint: wrongPin });
    expect(pinned.code).toBe("SSH_HOST_KEY_CHANGED");
    expect(pinned.message).toContain(wrongPin);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("auth: a wrong password or key is a clear error, never a hang; the password never shows", async ({ sshd }) => {
  const secret = `wrong-${randomUUID()}`;
  const { privateKeyPath: _k, ...noKey } = base(sshd);
  const badPassword = await connectError({ ...noKey, password: secret, connectTimeoutMs: 15_000 });
  expect(badPassword.code).toBe("SSH_AUTH_FAILED");
  expect(`${badPassword.message} ${JSON.stringify(badPassword)}`).not.toContain(secret);

  const dir = tempDir();
  try {
    const { privateKeyPath } = await otherKey(dir);
    const badKey = await connectError({ ...base(sshd), privateKeyPath });
    expect(badKey.code).toBe("SSH_AUTH_FAILED");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  const good = createSshRunner({ ...noKey, password: sshd.password! });
  try {
    expect((await good.exec(["id", "-un"])).stdout.trim()).toBe(sshd.user);
  } finally {
    await good.close();
  }
});

test("unreachable host and an unparseable key fail fast with typed errors", async ({ sshd }) => {
  const closed = await freePort();
  expect((await connectError({ ...base(sshd), port: closed })).code).toBe("SSH_UNREACHABLE");
  expect((await connectError({ ...base(sshd), privateKeyPath: undefined, privateKey: "not a key" })).code).toBe("SSH_KEY_INVALID");
  expect((await connectError({ ...base(sshd), privateKeyPath: undefined })).code).toBe("SSH_NO_AUTH");
});

test("a server that accepts but never speaks is a timeout error, not a hang", async ({ sshd }) => {
  const silent = net.createServer((sock) => sock.on("error", () => {}));
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
  try {
    const port = (silent.address() as net.AddressInfo).port;
    const err = await connectError({ ...base(sshd), port, connectTimeoutMs: 700 });
    expect(err.code).toBe("SSH_TIMEOUT");
  } finally {
    silent.close();
  }
});

test("one connection is reused for many commands, concurrently too, and reopened after close", async ({ sshd }) => {
  const runner = createSshRunner({ ...base(sshd), maxConcurrentCommands: 4 });
  try {
    // SSH_CONNECTION holds the client's source port: the same for every command on one connection.
    const serial = [];
    for (let i = 0; i < 3; i++) serial.push((await runner.exec(["sh", "-c", "echo $SSH_CONNECTION"])).stdout);
    const parallel = await Promise.all(Array.from({ length: 12 }, () => runner.exec(["sh", "-c", "sleep 0.2; echo $SSH_CONNECTION"])));
    const all = new Set([...serial, ...parallel.map((r) => r.stdout)]);
    expect(all.size).toBe(1);
    expect(parallel.every((r) => r.exitCode === 0)).toBe(true);
    await runner.close();
    const again = (await runner.exec(["sh", "-c", "echo $SSH_CONNECTION"])).stdout;
    expect(again).not.toBe(serial[0]);
  } finally {
    await runner.close();
  }
});

test("SFTP file transfer both ways", async ({ sshd }) => {
  const dir = tempDir();
  const runner = createSshRunner(base(sshd));
  try {
    const local = path.join(dir, "up.bin");
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    writeFileSync(local, data);
    const remote = `/tmp/odoo-deploy-sftp-${randomUUID()}`;
    await runner.uploadFile(local, remote, { mode: 0o600 });
    const st = await runner.exec(["stat", "-c", "%s %a %U", remote]);
    expect(st.stdout.trim()).toBe(`${data.length} 600 ${sshd.user}`);
    const back = path.join(dir, "down.bin");
    await runner.downloadFile(remote, back);
    expect(readFileSync(back).equals(data)).toBe(true);
    await runner.exec(["rm", "-f", remote]);
    await expect(runner.downloadFile(remote, back)).rejects.toMatchObject({ code: "SSH_TRANSFER_FAILED" });
  } finally {
    await runner.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("known_hosts parsing: plain, bracketed port, wildcard, negation, revoked", () => {
  const key = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 7)]);
  const other = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 9)]);
  const line = (hosts: string, k: Buffer, marker = "") => `${marker}${hosts} ssh-ed25519 ${k.toString("base64")}`;
  expect(checkKnownHosts(line("db.example.com", key), "db.example.com", 22, key).status).toBe("known");
  expect(checkKnownHosts(line("db.example.com", key), "db.example.com", 2222, key).status).toBe("unknown");
  expect(checkKnownHosts(line("[db.example.com]:2222", key), "db.example.com", 2222, key).status).toBe("known");
  expect(checkKnownHosts(line("*.example.com,!evil.example.com", key), "db.example.com", 22, key).status).toBe("known");
  expect(checkKnownHosts(line("*.example.com,!evil.example.com", key), "evil.example.com", 22, key).status).toBe("unknown");
  expect(checkKnownHosts(line("db.example.com", other), "db.example.com", 22, key).status).toBe("changed");
  expect(checkKnownHosts(`${line("db.example.com", key, "@revoked ")}\n${line("db.example.com", key)}`, "db.example.com", 22, key).status).toBe(
    "revoked",
  );
});

test("auth through an ssh-agent", async ({ sshd }) => {
  const dir = tempDir();
  const sock = path.join(dir, "agent.sock");
  const agent = execa("ssh-agent", ["-D", "-a", sock], { reject: false });
  try {
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 20));
    await execa("ssh-add", [sshd.privateKeyPath], { env: { SSH_AUTH_SOCK: sock } });
    const { privateKeyPath: _k, ...noKey } = base(sshd);
    const runner = createSshRunner({ ...noKey, agent: sock });
    try {
      expect((await runner.exec(["id", "-un"])).stdout.trim()).toBe(sshd.user);
    } finally {
      await runner.close();
    }
  } finally {
    agent.kill();
    await agent;
    rmSync(dir, { recursive: true, force: true });
  }
});

test("keepalive: a peer that stops answering ends the running command instead of hanging; the next command reconnects", async ({ sshd }) => {
  // A private sshd (the shared one, requested above, decides skip-or-fail): its connection processes get frozen.
  void sshd;
  const own = await startSshd();
  const runner = createSshRunner({ ...base(own), keepaliveIntervalMs: 200, keepaliveCountMax: 2 });
  try {
    const cmd = runner.spawn(["sleep", "20"]);
    cmd.stdout.resume();
    await new Promise((r) => setTimeout(r, 500));
    // The per-connection sshd processes: descendants of the listener (read from /proc, no procps needed).
    const frozen = descendants(own.pid);
    expect(frozen.length).toBeGreaterThan(0);
    for (const p of frozen) process.kill(Number(p), "SIGSTOP");
    try {
      const r = await cmd.result;
      expect(r.exitCode).toBeNull();
      expect(r.durationMs).toBeLessThan(25_000);
    } finally {
      for (const p of frozen) process.kill(Number(p), "SIGKILL");
    }
    expect((await runner.exec(["echo", "again"])).stdout).toBe("again\n");
  } finally {
    await runner.close();
    await own.stop();
  }
});

test("env values never reach the remote command line (what the login shell gets as argv, and `ps` shows)", async ({ sshd }) => {
  // A private sshd that records each command line clients send before running it exactly as a stock sshd
  // would (`$SHELL -c LINE`): that line is the remote shell's argv, readable by every user of the host.
  void sshd;
  const dir = tempDir();
  const log = path.join(dir, "commands.log");
  const recorder = path.join(dir, "record.sh");
  writeFileSync(log, "", { mode: 0o666 });
  writeFileSync(recorder, `#!/bin/sh\nprintf '%s\\n<<END>>\\n' "$SSH_ORIGINAL_COMMAND" >> ${log}\nexec /bin/sh -c "$SSH_ORIGINAL_COMMAND"\n`, { mode: 0o755 });
  await execa("chmod", ["0755", dir]);
  await execa("chmod", ["0666", log]);
  const own = await startSshd({ extraConfig: [`ForceCommand ${recorder}`] });
  const secret = `Sup3r-${randomUUID()}`;
  const runner = createSshRunner({ ...base(own), env: { RUNNER_SECRET: `${secret}-runner` } });
  try {
    const r = await runner.exec(["sh", "-c", 'printf "%s|%s" "$RUNNER_SECRET" "$PGPASSWORD"'], { env: { PGPASSWORD: `it's ${secret}\n"two"` }, cwd: "/tmp" });
    expect(r.stdout).toBe(`${secret}-runner|it's ${secret}\n"two"`);
    const cmd = runner.spawn(["sh", "-c", 'cat; printf "|%s" "$PGPASSWORD"'], { stdin: true, env: { PGPASSWORD: secret } });
    let out = "";
    cmd.stdout.on("data", (c: Buffer) => (out += c.toString()));
    cmd.stdin.end("streamed stdin\n");
    expect((await cmd.result).exitCode).toBe(0);
    expect(out).toBe(`streamed stdin\n|${secret}`);

    const lines = readFileSync(log, "utf8").split("<<END>>\n").filter(Boolean);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line).not.toContain(secret.slice("Sup3r-".length));
    expect(lines.some((l) => l.includes("exec sh -c 'cat;"))).toBe(true); // the recorder saw our commands
  } finally {
    await runner.close();
    await own.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("env names and values the wrapper cannot carry are usage errors before anything runs", async ({ sshd }) => {
  const runner = createSshRunner(base(sshd));
  try {
    expect(() => runner.spawn(["true"], { env: { "BAD NAME": "x" } })).toThrow(/invalid environment variable name/);
    expect(() => runner.spawn(["true"], { env: { "A;id": "x" } })).toThrow(/invalid environment variable name/);
    expect(() => runner.spawn(["true"], { env: { __odoo_deploy_h: "x" } })).toThrow(/invalid environment variable name/);
    expect(() => runner.spawn(["true"], { env: { A: "x\0y" } })).toThrow(/NUL/);
    // A shell reading the config-supplied cwd or command name never runs anything it holds.
    const r = await runner.exec(["sh", "-c", "pwd"], { cwd: "/tmp/$(touch /tmp/odoo-deploy-pwned)" });
    expect(r.exitCode).not.toBe(0);
    expect(existsSync("/tmp/odoo-deploy-pwned")).toBe(false);
  } finally {
    await runner.close();
  }
});

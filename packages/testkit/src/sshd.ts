import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { run } from "./exec.js";
import { freePort } from "./postgres.js";

/**
 * A loopback sshd for tests: the distribution's `/usr/sbin/sshd` run as root with its own configuration,
 * host key and authorized key, listening on 127.0.0.1 and a free high port.
 *
 * Logins go to a dedicated unprivileged user, {@link SSHD_TEST_USER}, created with `useradd` when missing.
 * For password-authentication tests that user gets the fixed password {@link SSHD_TEST_PASSWORD} (set with
 * `chpasswd`; fixed rather than random so concurrent test runs on one machine do not overwrite each other's).
 * Only this sshd lets it in: it listens on loopback and `AllowUsers` names only that user.
 */
export interface Sshd {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly user: string;
  /** OpenSSH-format ed25519 private key (mode 0600) authorised for `user`. */
  readonly privateKeyPath: string;
  /** The user's public key line (`ssh-ed25519 AAAA… comment`). */
  readonly publicKey: string;
  /** A known_hosts file with this server's host key for `[127.0.0.1]:port`. */
  readonly knownHostsPath: string;
  /** The host key's fingerprint as OpenSSH prints it: `SHA256:…`. */
  readonly hostKeyFingerprint: string;
  /** Password of `user` (password authentication is enabled). */
  readonly password?: string;
  /** sshd's log (stderr), for diagnosing a failed test. */
  readonly logPath: string;
  /** Process id of the sshd daemon. */
  readonly pid: number;
  stop(): Promise<void>;
}

/** Facts of a running sshd as passed between processes (`ODOO_DEPLOY_TEST_SSHD`). */
export type SshdInfo = Omit<Sshd, "stop">;

/** The unprivileged user the test sshd logs in. */
export const SSHD_TEST_USER = "odoo-deploy-test";
/** Known password of {@link SSHD_TEST_USER}, valid only through the loopback test sshd. */
export const SSHD_TEST_PASSWORD = "odoo-deploy-test-Pässword 1";

/** Why a loopback sshd cannot be started here, or `undefined` when it can. */
export function sshdUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return "the test sshd must be started as root (it switches to the test user)";
  if (!existsSync("/usr/sbin/sshd")) return "/usr/sbin/sshd not found (apt-get install openssh-server)";
  return undefined;
}

async function ensureTestUser(): Promise<void> {
  const exists = async () => (await execa("id", ["-u", SSHD_TEST_USER], { reject: false })).exitCode === 0;
  if (!(await exists())) {
    const r = await execa("useradd", ["--create-home", "--shell", "/bin/sh", SSHD_TEST_USER], { reject: false });
    // Another test run may have created it at the same moment.
    if (r.exitCode !== 0 && !(await exists())) throw new Error(`useradd ${SSHD_TEST_USER} failed: ${String(r.stderr)}`);
  }
  await execa("chpasswd", { input: `${SSHD_TEST_USER}:${SSHD_TEST_PASSWORD}\n` });
}

function waitForPort(port: number, isAlive: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const sock = net.connect(port, "127.0.0.1");
      sock.once("data", () => {
        sock.destroy();
        resolve();
      });
      sock.once("error", () => {
        sock.destroy();
        if (!isAlive()) reject(new Error("sshd exited during start-up"));
        else if (Date.now() > deadline) reject(new Error(`sshd did not listen on port ${port} within ${timeoutMs} ms`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

/**
 * Starts a loopback sshd (as root). Call `stop()` to kill it and remove its files. `extraConfig` lines are
 * appended to its sshd_config (e.g. a `ForceCommand` that records what clients ask to run).
 *
 * @example
 * const sshd = await startSshd();
 * // ssh -i sshd.privateKeyPath -p sshd.port -o UserKnownHostsFile=sshd.knownHostsPath odoo-deploy-test@127.0.0.1
 * await sshd.stop();
 */
export async function startSshd(options: { extraConfig?: string[] } = {}): Promise<Sshd> {
  const why = sshdUnavailableReason();
  if (why) throw new Error(why);
  await ensureTestUser();
  // StrictModes checks every directory above authorized_keys: not group/world writable, owned by root or the
  // user. /tmp is world-writable, so the files live under /run (root, 0755).
  const base = existsSync("/run") ? "/run" : os.tmpdir();
  const dir = mkdtempSync(path.join(base, "odoo-deploy-sshd-"));
  chmodSync(dir, 0o755);
  mkdirSync("/run/sshd", { recursive: true, mode: 0o755 }); // privilege separation directory
  const hostKey = path.join(dir, "host_ed25519");
  const userKey = path.join(dir, "user_ed25519");
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "odoo-deploy-test-host", "-f", hostKey]);
  await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "odoo-deploy-test-user", "-f", userKey]);
  const publicKey = readFileSync(`${userKey}.pub`, "utf8").trim();
  const authorizedKeys = path.join(dir, "authorized_keys");
  writeFileSync(authorizedKeys, `${publicKey}\n`, { mode: 0o644 });
  const hostPub = readFileSync(`${hostKey}.pub`, "utf8").trim().split(/\s+/);
  const fp = (await run("ssh-keygen", ["-l", "-E", "sha256", "-f", `${hostKey}.pub`])).split(/\s+/)[1] ?? "";
  const port = await freePort();
  const knownHostsPath = path.join(dir, "known_hosts");
  writeFileSync(knownHostsPath, `[127.0.0.1]:${port} ${hostPub[0]} ${hostPub[1]}\n`);
  const config = path.join(dir, "sshd_config");
  writeFileSync(
    config,
    [
      `Port ${port}`,
      "ListenAddress 127.0.0.1",
      `HostKey ${hostKey}`,
      `PidFile ${path.join(dir, "sshd.pid")}`,
      `AuthorizedKeysFile ${authorizedKeys}`,
      "StrictModes yes",
      "UsePAM no",
      "PermitRootLogin prohibit-password",
      `AllowUsers ${SSHD_TEST_USER}`,
      "PubkeyAuthentication yes",
      "PasswordAuthentication yes",
      "KbdInteractiveAuthentication no",
      // Tests open many channels on one reused connection.
      "MaxSessions 64",
      "MaxStartups 64:30:128",
      "ClientAliveInterval 0",
      "Subsystem sftp internal-sftp",
      "LogLevel VERBOSE",
      ...(options.extraConfig ?? []),
      "",
    ].join("\n"),
  );
  const logPath = path.join(dir, "sshd.log");
  const logFd = openSync(logPath, "a");
  const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", config], { stdio: ["ignore", logFd, logFd], detached: true });
  closeSync(logFd);
  child.unref();
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  try {
    await waitForPort(port, () => !exited, 15_000);
  } catch (e) {
    const log = existsSync(logPath) ? readFileSync(logPath, "utf8") : "";
    try {
      child.kill("SIGKILL");
    } catch {
      /* gone */
    }
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${log}`);
  }
  const info: SshdInfo = {
    host: "127.0.0.1",
    port,
    user: SSHD_TEST_USER,
    privateKeyPath: userKey,
    publicKey,
    knownHostsPath,
    hostKeyFingerprint: fp,
    password: SSHD_TEST_PASSWORD,
    logPath,
    pid: child.pid!,
  };
  let stopped = false;
  return {
    ...info,
    async stop() {
      if (stopped) return;
      stopped = true;
      try {
        process.kill(info.pid, "SIGTERM");
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The sshd started by the vitest global set-up (`ODOO_DEPLOY_TEST_SSHD`), shared by every test file of the
 * run; `stop()` on it is a no-op (the set-up owns it).
 */
export function sshdFromEnv(): Sshd | undefined {
  const raw = process.env.ODOO_DEPLOY_TEST_SSHD;
  if (!raw) return undefined;
  const info = JSON.parse(raw) as SshdInfo;
  return { ...info, stop: async () => {} };
}

/**
 * One contract, every runner: the same tests run against the local runner, the SSH runner (loopback sshd),
 * the Docker runner in exec mode (a running container) and in one-off mode (a container per command). The
 * commands are node scripts (node is at the same path on this host, over SSH and in the test image).
 */
import { createHash, randomUUID } from "node:crypto";
import { execa } from "execa";
import { readdirSync, readFileSync } from "node:fs";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { test as base, describe, expect, afterAll } from "@odoo-deploy/testkit/vitest";
import type { DockerFixture } from "@odoo-deploy/testkit/vitest";
import { createLocalRunner } from "./local.js";
import { createSshRunner } from "./ssh.js";
import { createDockerRunner } from "./docker.js";
import { copyFromRunner, copyToRunner } from "./copy.js";
import type { CommandRunner } from "./types.js";

const NODE = process.execPath;

interface Ctx {
  runner: CommandRunner;
  /** Each command gets a fresh filesystem and process table (one-off containers). */
  ephemeral: boolean;
  /** Checks the process with this pid (as the runner's side numbers it) is gone; for one-off, the container. */
  assertGone: (pid: number) => Promise<void>;
}

async function contractImage(docker: DockerFixture): Promise<string> {
  // node for the scripts; sh and cat for the stream copies; tr and grep for the in-container kill fallback.
  return docker.nodeImage({ binaries: ["/bin/sh", "/bin/cat", "/usr/bin/tr", "/usr/bin/grep", "/usr/bin/sleep"] });
}

let sharedContainer: Promise<{ name: string; remove(): Promise<void> }> | undefined;
afterAll(async () => {
  await (await sharedContainer?.catch(() => undefined))?.remove();
});

// A zombie (killed, not yet reaped by a PID 1 that never reaps, as in a container without --init) is gone too.
const aliveScript = (pid: number) =>
  `try { process.kill(${pid}, 0); const st = require("fs").readFileSync("/proc/${pid}/stat", "utf8");
     console.log(st.slice(st.lastIndexOf(")") + 2, st.lastIndexOf(")") + 3) === "Z" ? "ESRCH" : "alive") } catch (e) { console.log(e.code) }`;
const processGone = (runner: CommandRunner) => async (pid: number) => {
  // A killed process may take a moment to be reaped.
  let last = "";
  for (let i = 0; i < 50; i++) {
    last = (await runner.exec([NODE, "-e", aliveScript(pid)])).stdout.trim();
    if (last === "ESRCH") return;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(last).toBe("ESRCH");
};

const kinds = {
  local: base.extend<{ ctx: Ctx }>({
    // eslint-disable-next-line no-empty-pattern
    ctx: async ({}, use) => {
      const runner = createLocalRunner({ killGraceMs: 1000 });
      await use({ runner, ephemeral: false, assertGone: processGone(runner) });
    },
  }),
  ssh: base.extend<{ ctx: Ctx }>({
    ctx: async ({ sshd }, use) => {
      const runner = createSshRunner({
        host: sshd.host,
        port: sshd.port,
        user: sshd.user,
        privateKeyPath: sshd.privateKeyPath,
        knownHostsPath: sshd.knownHostsPath,
        killGraceMs: 1000,
      });
      await use({ runner, ephemeral: false, assertGone: processGone(runner) });
      await runner.close();
    },
  }),
  "docker exec": base.extend<{ ctx: Ctx }>({
    ctx: async ({ docker }, use) => {
      sharedContainer ??= contractImage(docker).then((image) => docker.startContainer(image));
      const { name } = await sharedContainer;
      const runner = createDockerRunner({ container: name, killGraceMs: 1000 });
      await use({ runner, ephemeral: false, assertGone: processGone(runner) });
    },
  }),
  "docker one-off": base.extend<{ ctx: Ctx }>({
    ctx: async ({ docker }, use) => {
      const image = await contractImage(docker);
      const label = randomUUID();
      const runner = createDockerRunner({ image, network: "host", labels: { "odoo-deploy.test": label }, killGraceMs: 1000 });
      const assertGone = async () => {
        const ps = await execa("docker", ["ps", "-a", "-q", "--filter", `label=odoo-deploy.test=${label}`]);
        expect(ps.stdout.trim()).toBe("");
      };
      await use({ runner, ephemeral: true, assertGone });
      await assertGone();
    },
  }),
};

/** Processes of this host whose command line holds `needle`, and how many hold it in their environment. */
function scanProcesses(needle: string): { inCmdline: string[]; inEnviron: number } {
  const inCmdline: string[] = [];
  let inEnviron = 0;
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmdline = readFileSync(`/proc/${d}/cmdline`, "utf8");
      if (cmdline.includes(needle)) inCmdline.push(`${d}: ${cmdline.replace(/\0/g, " ")}`);
      if (readFileSync(`/proc/${d}/environ`, "utf8").includes(needle)) inEnviron++;
    } catch {
      /* exited, or not ours to read */
    }
  }
  return { inCmdline, inEnviron };
}

/** Deterministic bytes covering every byte value: block i is sha512("block" + i) repeated to 64 KiB. */
function* blocks(totalBytes: number): Generator<Buffer> {
  for (let i = 0, sent = 0; sent < totalBytes; i++) {
    const seed = createHash("sha512").update(`block${i}`).digest();
    const b = Buffer.alloc(Math.min(65536, totalBytes - sent));
    for (let o = 0; o < b.length; o += seed.length) seed.copy(b, o);
    sent += b.length;
    yield b;
  }
}
const generatorScript = (totalBytes: number) =>
  `const { createHash } = require("crypto"); let i = 0, sent = 0; const total = ${totalBytes};
   function more() { while (sent < total) { const seed = createHash("sha512").update("block" + i++).digest();
     const b = Buffer.alloc(Math.min(65536, total - sent)); for (let o = 0; o < b.length; o += seed.length) seed.copy(b, o);
     sent += b.length; if (!process.stdout.write(b)) return process.stdout.once("drain", more); } }
   more();`;
const sha256 = (chunks: Iterable<Buffer>) => {
  const h = createHash("sha256");
  for (const c of chunks) h.update(c);
  return h.digest("hex");
};
function hashSink(): { sink: Writable; digest: () => string; bytes: () => number } {
  const h = createHash("sha256");
  let n = 0;
  return {
    sink: new Writable({
      write(chunk: Buffer, _e, cb) {
        h.update(chunk);
        n += chunk.length;
        cb();
      },
    }),
    digest: () => h.digest("hex"),
    bytes: () => n,
  };
}

for (const [kind, test] of Object.entries(kinds)) {
  describe(`runner contract: ${kind}`, () => {
    test("exit codes are data, not exceptions; a missing command is 127", async ({ ctx }) => {
      const ok = await ctx.runner.exec([NODE, "-e", "process.exit(0)"]);
      const bad = await ctx.runner.exec([NODE, "-e", "process.exit(42)"]);
      expect([ok.exitCode, bad.exitCode]).toEqual([0, 42]);
      expect(bad).toMatchObject({ timedOut: false, canceled: false });
      const missing = await ctx.runner.exec(["/nonexistent/odoo-deploy-no-such-binary"]);
      expect(missing.exitCode).toBe(127);
      expect(missing.stdout).toBe("");
      expect(missing.stderr).toMatch(/not found|no such file/i);
    });

    test("stdout and stderr stay separate, with line events", async ({ ctx }) => {
      const outLines: string[] = [];
      const errLines: string[] = [];
      const r = await ctx.runner.exec([NODE, "-e", "console.log('out 1\\nout 2'); console.error('err 1'); process.stdout.write('tail')"], {
        onStdoutLine: (l) => outLines.push(l),
        onStderrLine: (l) => errLines.push(l),
      });
      expect(r.stdout).toBe("out 1\nout 2\ntail");
      expect(r.stderr).toBe("err 1\n");
      expect(outLines).toEqual(["out 1", "out 2", "tail"]);
      expect(errLines).toEqual(["err 1"]);
    });

    test("tens of MB of binary output stream byte-exact through spawn", async ({ ctx }) => {
      const total = 24 * 1024 * 1024 + 123;
      const cmd = ctx.runner.spawn([NODE, "-e", generatorScript(total)]);
      const { sink, digest, bytes } = hashSink();
      await pipeline(cmd.stdout, sink);
      const r = await cmd.result;
      expect(r.exitCode).toBe(0);
      expect(bytes()).toBe(total);
      expect(digest()).toBe(sha256(blocks(total)));
    });

    test("a reader that stops early stops the producer instead of hanging", async ({ ctx }) => {
      const cmd = ctx.runner.spawn([NODE, "-e", "const b = Buffer.alloc(65536, 1); (function w() { while (process.stdout.write(b)); process.stdout.once('drain', w); })()"]);
      await new Promise((resolve) => cmd.stdout.once("data", resolve));
      cmd.stdout.destroy();
      const r = await cmd.result;
      expect(r.exitCode).not.toBe(0);
    });

    test("stdin streams in (spawn) and is fed whole (exec input)", async ({ ctx }) => {
      const total = 8 * 1024 * 1024 + 7;
      const script = `const h = require("crypto").createHash("sha256"); let n = 0;
        process.stdin.on("data", (c) => { h.update(c); n += c.length; }).on("end", () => console.log(n + " " + h.digest("hex")));`;
      const cmd = ctx.runner.spawn([NODE, "-e", script], { stdin: true });
      const out: Buffer[] = [];
      cmd.stdout.on("data", (c: Buffer) => out.push(c));
      await pipeline(Readable.from(blocks(total)), cmd.stdin);
      const r = await cmd.result;
      expect(r.exitCode).toBe(0);
      expect(Buffer.concat(out).toString().trim()).toBe(`${total} ${sha256(blocks(total))}`);

      const echoed = await ctx.runner.exec([NODE, "-e", "process.stdin.pipe(process.stdout)"], { input: "héllo\n\u0000bytes" });
      expect(echoed.stdout).toBe("héllo\n\u0000bytes");
      // Input the command never reads does not hang it.
      const ignored = await ctx.runner.exec([NODE, "-e", "0"], { input: Buffer.alloc(4 * 1024 * 1024, 120) });
      expect(ignored.exitCode).toBe(0);
      // Without input, stdin is empty (not inherited, not hanging).
      const empty = await ctx.runner.exec([NODE, "-e", "let n = 0; process.stdin.on('data', (c) => n += c.length).on('end', () => console.log(n))"]);
      expect(empty.stdout.trim()).toBe("0");
    });

    test("a timeout kills the process and says so", async ({ ctx }) => {
      const r = await ctx.runner.exec([NODE, "-e", "setTimeout(() => console.log('finished'), 60000)"], { timeout: 800 });
      expect(r.timedOut).toBe(true);
      expect(r.exitCode).not.toBe(0);
      expect(r.stdout).not.toContain("finished");
    });

    test("abort kills the process itself and what it started (verified gone)", async ({ ctx }) => {
      const ac = new AbortController();
      const script = `const { spawn } = require("child_process");
        const child = spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)"], { stdio: "ignore" });
        console.log(process.pid + " " + child.pid); setInterval(() => {}, 1000);`;
      const cmd = ctx.runner.spawn([NODE, "-e", script], { signal: ac.signal });
      const first = await new Promise<string>((resolve) => {
        let buf = "";
        cmd.stdout.on("data", (c: Buffer) => {
          buf += c.toString();
          if (buf.includes("\n")) resolve(buf.split("\n")[0]!);
        });
      });
      const [pid, childPid] = first.split(" ").map(Number) as [number, number];
      ac.abort();
      const r = await cmd.result;
      expect(r.canceled).toBe(true);
      expect(r.exitCode).not.toBe(0);
      if (!ctx.ephemeral) {
        await ctx.assertGone(pid);
        await ctx.assertGone(childPid);
      } else await ctx.assertGone(pid);
    });

    test("an already-aborted signal stops the command too", async ({ ctx }) => {
      const r = await ctx.runner.exec([NODE, "-e", "console.log('started'); setInterval(() => {}, 1000)"], { signal: AbortSignal.abort() });
      expect(r.canceled).toBe(true);
      expect(r.exitCode).not.toBe(0);
    });

    test("a process that ignores SIGTERM is killed after the grace period", async ({ ctx }) => {
      const ac = new AbortController();
      const cmd = ctx.runner.spawn([NODE, "-e", "process.on('SIGTERM', () => console.log('ignored')); console.log(process.pid); setInterval(() => {}, 1000)"], {
        signal: ac.signal,
      });
      const pid = await new Promise<number>((resolve) => cmd.stdout.once("data", (d: Buffer) => resolve(Number(String(d).split("\n")[0]))));
      ac.abort();
      const r = await cmd.result;
      expect(r.canceled).toBe(true);
      expect(r.exitCode).not.toBe(0);
      await ctx.assertGone(pid);
    });

    test("env values with quotes, spaces, newlines and non-ASCII arrive intact; so do arguments", async ({ ctx }) => {
      const env = {
        QUOTES: `it's "double" and 'single' $HOME \`id\` \\ ;|&`,
        SPACES: "  leading and trailing  ",
        NEWLINES: "line 1\nline 2\r\n",
        UNICODE: "héllo wörld — 世界 🚀",
        EMPTY: "",
      };
      const r = await ctx.runner.exec([NODE, "-e", `console.log(JSON.stringify(Object.fromEntries(${JSON.stringify(Object.keys(env))}.map((k) => [k, process.env[k]]))))`], { env });
      expect(JSON.parse(r.stdout)).toEqual(env);

      const args = ["ünïcödé ärg", "*", "$(echo pwned)", "a'b\"c", "", "-n", "tab\there", "new\nline"];
      const a = await ctx.runner.exec([NODE, "-e", "console.log(JSON.stringify(process.argv.slice(1)))", ...args]);
      expect(JSON.parse(a.stdout)).toEqual(args);
    });

    test("env values (secrets) are in no process's command line on this host, and stdin after them arrives byte-exact", async ({ ctx }) => {
      const secret = `S3cr3t-${randomUUID()}`;
      const script = `const h = require("crypto").createHash("sha256"); let n = 0; console.log("ready");
        process.stdin.on("data", (c) => { h.update(c); n += c.length; }).on("end", () => console.log(n + " " + h.digest("hex") + " " + process.env.DB_SECRET + " " + process.env.OTHER));`;
      const cmd = ctx.runner.spawn([NODE, "-e", script], { stdin: true, env: { DB_SECRET: secret, OTHER: `${secret}\nline 2` } });
      let out = "";
      await new Promise<void>((resolve) =>
        cmd.stdout.on("data", (c: Buffer) => {
          out += c.toString();
          if (out.includes("ready\n")) resolve();
        }),
      );
      // Every process of this host (the SSH side and the containers are here too), while the command runs.
      const seen = scanProcesses(secret);
      expect(seen.inCmdline).toEqual([]);
      expect(seen.inEnviron).toBeGreaterThan(0); // the scan does see the command's environment
      const total = 3 * 1024 * 1024 + 5;
      await pipeline(Readable.from(blocks(total)), cmd.stdin);
      const r = await cmd.result;
      expect(r.exitCode).toBe(0);
      expect(out.split("\n").slice(1).join("\n").trim()).toBe(`${total} ${sha256(blocks(total))} ${secret} ${secret}\nline 2`);
      expect(JSON.stringify(r)).not.toContain(secret);
    });

    test("cwd is honoured; in-memory output is capped keeping the tail", async ({ ctx }) => {
      const r = await ctx.runner.exec([NODE, "-e", "console.log(process.cwd())"], { cwd: "/tmp" });
      expect(r.stdout.trim()).toBe("/tmp");
      if (!ctx.ephemeral) {
        // (A one-off container creates a missing working directory, as Docker does for WorkingDir.)
        const missing = await ctx.runner.exec([NODE, "-e", "0"], { cwd: "/nonexistent-odoo-deploy-dir" });
        expect(missing.exitCode).not.toBe(0);
        expect(missing.stderr).toContain("/nonexistent-odoo-deploy-dir");
        expect(missing.stderr).not.toMatch(/command not found/);
      }
      const big = await ctx.runner.exec([NODE, "-e", "process.stdout.write(Array.from({ length: 100000 }, (_, i) => 'line ' + i + '\\n').join(''))"], {
        maxBuffer: 1000,
      });
      expect(big.outputTruncated).toBe(true);
      expect(big.stdout.length).toBe(1000);
      expect(big.stdout.endsWith("line 99999\n")).toBe(true);
    });

    test("stream copies: a local stream to a path on the runner's side and back", async ({ ctx }) => {
      if (ctx.ephemeral) {
        // One-off containers have no filesystem that outlives a command: the copy is refused by the far side.
        await expect(
          copyToRunner({ runner: ctx.runner, source: Readable.from([Buffer.from("x")]), path: "/nonexistent-dir/x" }),
        ).rejects.toMatchObject({ code: "RUNNER_COPY_FAILED" });
        return;
      }
      const total = 5 * 1024 * 1024 + 1;
      const remote = `/tmp/odoo-deploy-copy-${randomUUID()}`;
      const up = await copyToRunner({ runner: ctx.runner, source: Readable.from(blocks(total)), path: remote, private: true });
      expect(up.bytes).toBe(total);
      const mode = await ctx.runner.exec([NODE, "-e", `console.log((require("fs").statSync(${JSON.stringify(remote)}).mode & 0o777).toString(8))`]);
      expect(mode.stdout.trim()).toBe("600");
      const { sink, digest } = hashSink();
      const down = await copyFromRunner({ runner: ctx.runner, path: remote, destination: sink });
      expect(down.bytes).toBe(total);
      expect(digest()).toBe(sha256(blocks(total)));
      await ctx.runner.exec([NODE, "-e", `require("fs").unlinkSync(${JSON.stringify(remote)})`]);
      await expect(copyFromRunner({ runner: ctx.runner, path: remote, destination: hashSink().sink })).rejects.toMatchObject({
        code: "RUNNER_COPY_FAILED",
      });
    });
  });
}

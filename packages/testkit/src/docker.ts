import { execa } from "execa";
import { createHash } from "node:crypto";
import { chmodSync, cpSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { run } from "./exec.js";

/**
 * Docker for tests: an engine check and an image builder that needs no registry. Images are root
 * filesystems assembled from this host's own files (each binary plus the libraries `ldd` lists, at the same
 * paths) and loaded with `docker import`. Keep them small: the vfs storage driver copies the whole image for
 * every container. Containers on this machine must use the host network (`--network host`): there is no
 * bridge.
 */

/** Label holding the content hash of an image's inputs, so a rebuild of unchanged inputs is free. */
export const IMAGE_HASH_LABEL = "odoo-deploy.testkit.hash";

/** Name and uid of the unprivileged user every built image has in /etc/passwd. */
export const IMAGE_USER = { name: "app", uid: 1000, gid: 1000 } as const;

let availability: Promise<{ ok: true } | { ok: false; reason: string }> | undefined;

/**
 * Whether a Docker engine answers (`docker version` against `DOCKER_HOST` or the default socket). The answer
 * is computed once per process.
 *
 * @example
 * const d = await dockerAvailable();
 * if (!d.ok) console.warn(d.reason);
 */
export function dockerAvailable(): Promise<{ ok: true } | { ok: false; reason: string }> {
  availability ??= (async () => {
    try {
      const r = await execa("docker", ["version", "--format", "{{.Server.Version}}"], { reject: false, timeout: 20_000 });
      if (r.exitCode === 0 && String(r.stdout).trim()) return { ok: true as const };
      return { ok: false as const, reason: `docker engine not reachable: ${String(r.stderr || r.stdout || r.message).trim().split("\n")[0]}` };
    } catch (e) {
      return { ok: false as const, reason: `docker CLI not usable: ${e instanceof Error ? e.message : String(e)}` };
    }
  })();
  return availability;
}

/** What goes into an image built by {@link buildImage}. */
export interface BuildImageOptions {
  /** Image tag, e.g. `odoo-deploy-test/pg-dump:15`. */
  tag: string;
  /** Absolute paths of executables copied at the same path, with every library `ldd` lists for them. */
  binaries?: string[];
  /** Extra files or directories: destination in the image → path on this host (copied recursively). */
  files?: Record<string, string>;
  /** Empty directories to create (mode 0777 with the sticky bit for `/tmp`, 0755 otherwise). */
  dirs?: string[];
  /** Image `ENV` (default `PATH` covers the usual bin directories). */
  env?: Record<string, string>;
  /** Image working directory (default `/`). */
  workdir?: string;
}

const built = new Map<string, Promise<string>>();

/**
 * Builds (or reuses) a small image from local files with `docker import`. The image has `/etc/passwd` with
 * `root` and an unprivileged `app` user (uid 1000), `/tmp`, and the given binaries with their libraries at
 * the same paths as on this host. Built images are cached by a hash of their inputs (paths, sizes, mtimes):
 * building again with unchanged inputs only inspects the existing image.
 *
 * @example
 * const tag = await buildImage({ tag: "odoo-deploy-test/pg-dump:15", binaries: ["/usr/lib/postgresql/15/bin/pg_dump"] });
 * // docker run --rm --network host odoo-deploy-test/pg-dump:15 /usr/lib/postgresql/15/bin/pg_dump --version
 */
export function buildImage(options: BuildImageOptions): Promise<string> {
  const key = JSON.stringify(options);
  let p = built.get(key);
  if (!p) {
    p = doBuild(options);
    built.set(key, p);
    p.catch(() => built.delete(key));
  }
  return p;
}

async function doBuild(options: BuildImageOptions): Promise<string> {
  const hostEntries = new Set<string>();
  for (const bin of options.binaries ?? []) {
    if (!path.isAbsolute(bin)) throw new Error(`buildImage: binary path must be absolute: ${bin}`);
    addHostPath(bin, hostEntries);
    for (const lib of await sharedLibraries(bin)) addHostPath(lib, hostEntries);
  }
  const env = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", ...options.env };
  const dirs = ["/tmp", ...(options.dirs ?? [])];
  const files = Object.entries(options.files ?? {});

  const hash = createHash("sha256");
  hash.update(JSON.stringify({ v: 1, env, dirs, workdir: options.workdir ?? "/", files, entries: [...hostEntries] }));
  for (const e of hostEntries) hash.update(entryFingerprint(path.join("/", e)));
  for (const [, src] of files) hash.update(fingerprint(src));
  const digest = hash.digest("hex").slice(0, 32);

  const existing = await execa("docker", ["image", "inspect", "--format", `{{index .Config.Labels "${IMAGE_HASH_LABEL}"}}`, options.tag], {
    reject: false,
  });
  if (existing.exitCode === 0 && String(existing.stdout).trim() === digest) return options.tag;

  const staging = mkdtempSync(path.join(os.tmpdir(), "odoo-deploy-image-"));
  try {
    // The staging dir becomes the image's "/": mkdtemp's 0700 would lock the unprivileged user out.
    chmodSync(staging, 0o755);
    mkdirSync(path.join(staging, "etc"), { mode: 0o755 });
    writeFileSync(
      path.join(staging, "etc/passwd"),
      `root:x:0:0:root:/root:/bin/sh\n${IMAGE_USER.name}:x:${IMAGE_USER.uid}:${IMAGE_USER.gid}:app:/tmp:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    );
    writeFileSync(path.join(staging, "etc/group"), `root:x:0:\n${IMAGE_USER.name}:x:${IMAGE_USER.gid}:\nnogroup:x:65534:\n`);
    for (const d of dirs) {
      const p = path.join(staging, d);
      mkdirSync(p, { recursive: true });
      chmodSync(p, d === "/tmp" ? 0o1777 : 0o755);
    }
    for (const [dest, src] of files) {
      const p = path.join(staging, dest);
      mkdirSync(path.dirname(p), { recursive: true });
      cpSync(src, p, { recursive: true, dereference: true });
    }
    const list = path.join(staging, "..", `${path.basename(staging)}.list`);
    // Host files are read in place (no copy of a 100 MB node binary); parents come first, symlinks stay links.
    writeFileSync(list, [...hostEntries].join("\n") + "\n");
    try {
      const changes = [
        ...Object.entries(env).map(([k, v]) => ["--change", `ENV ${k}=${v}`]),
        ["--change", `WORKDIR ${options.workdir ?? "/"}`],
        ["--change", `LABEL ${IMAGE_HASH_LABEL}=${digest}`],
      ].flat();
      const tar = execa("tar", ["-c", "-f", "-", "--no-recursion", "-C", "/", "-T", list, "--recursion", "-C", staging, "."], {
        reject: false,
        buffer: { stdout: false, stderr: true },
      });
      const imported = await tar.pipe("docker", ["import", ...changes, "-", options.tag], { reject: false });
      const tarResult = await tar;
      if (tarResult.exitCode !== 0 || imported.exitCode !== 0) {
        throw new Error(`buildImage ${options.tag} failed: ${String(tarResult.stderr ?? "")}${String(imported.stderr ?? "")}`.trim());
      }
    } finally {
      rmSync(list, { force: true });
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return options.tag;
}

/** Size, mtime and mode of a path and, for a directory, of everything below it (a changed file rebuilds). */
function fingerprint(p: string): string {
  try {
    const s = statSync(p);
    const own = `${p}:${s.size}:${s.mtimeMs}:${s.mode}`;
    if (!s.isDirectory()) return own;
    return [own, ...readdirSync(p).sort().map((e) => fingerprint(path.join(p, e)))].join("\n");
  } catch {
    return `${p}:missing`;
  }
}

/** Fingerprint of one archive entry (not followed: symlinks and directories are entries themselves). */
function entryFingerprint(p: string): string {
  try {
    const s = lstatSync(p);
    return s.isDirectory() ? `${p}:dir:${s.mode}` : `${p}:${s.size}:${s.mtimeMs}:${s.mode}`;
  } catch {
    return `${p}:missing`;
  }
}

/** Libraries (and the dynamic loader) a binary needs, per `ldd`; empty for static binaries. */
async function sharedLibraries(bin: string): Promise<string[]> {
  const r = await execa("ldd", [bin], { reject: false, encoding: "utf8" });
  if (r.exitCode !== 0) return [];
  const libs: string[] = [];
  for (const line of String(r.stdout).split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1]) libs.push(m[1]);
  }
  return libs;
}

/**
 * Adds a host path to the archive list as relative entries, parents first. A symlinked directory on the
 * way (`/bin` → `usr/bin` on merged-/usr systems, `/lib64`) is kept as a link and its target added too, so
 * the path resolves inside the image exactly as on the host.
 */
function addHostPath(abs: string, out: Set<string>, depth = 0): void {
  if (depth > 20) throw new Error(`buildImage: too many symlinks resolving ${abs}`);
  const parts = path.resolve(abs).split("/").filter(Boolean);
  let cur = "/";
  for (let i = 0; i < parts.length; i++) {
    const candidate = path.join(cur, parts[i]!);
    const st = lstatSync(candidate);
    out.add(candidate.slice(1));
    if (st.isSymbolicLink()) {
      const target = path.resolve(path.dirname(candidate), readlinkSync(candidate));
      addHostPath(target, out, depth + 1);
      cur = target;
    } else {
      cur = candidate;
    }
  }
  if (!statSync(abs).isFile() && !statSync(abs).isDirectory()) throw new Error(`buildImage: not a file: ${abs}`);
}

/**
 * A ready image with only the node binary of this host (at `process.execPath`) and its libraries (~100 MB):
 * the base for test doubles and small tools run in containers. Extra inputs get their own tag (derived from
 * them unless `tag` is given), so different variants never overwrite each other.
 *
 * @example
 * const image = await nodeImage();
 * // docker run --rm --network host IMAGE node -e "console.log(1)"
 * const withShell = await nodeImage({ binaries: ["/bin/sh", "/bin/cat"] });
 */
export function nodeImage(extra: Omit<BuildImageOptions, "tag"> & { tag?: string } = {}): Promise<string> {
  const { tag, ...rest } = extra;
  const variant = Object.keys(rest).length === 0 ? "local" : `x-${createHash("sha256").update(JSON.stringify(rest)).digest("hex").slice(0, 12)}`;
  return buildImage({ ...rest, tag: tag ?? `odoo-deploy-test/node:${variant}`, binaries: [process.execPath, ...(rest.binaries ?? [])] });
}

/**
 * Runs `docker run --rm --network host IMAGE ARGV…` to completion and returns its stdout; throws with stderr
 * when it fails. For quick harness checks; the product's Docker runner lives in @odoo-deploy/core.
 *
 * @example await dockerRun(await nodeImage(), [process.execPath, "-e", "console.log(42)"]);
 */
export async function dockerRun(image: string, argv: string[], options: { user?: string; env?: Record<string, string> } = {}): Promise<string> {
  const args = ["run", "--rm", "--network", "host"];
  if (options.user) args.push("--user", options.user);
  for (const [k, v] of Object.entries(options.env ?? {})) args.push("--env", `${k}=${v}`);
  return run("docker", [...args, image, ...argv]);
}

/** A long-running container started by {@link startTestContainer}. */
export interface TestContainer {
  id: string;
  name: string;
  /** Force-removes the container (idempotent). */
  remove(): Promise<void>;
}

/**
 * Starts a detached container on the host network that keeps running (by default a node process idling
 * forever, so the image needs node), for exec and lifecycle tests. Remove it with `remove()`.
 *
 * @example
 * const c = await startTestContainer(await nodeImage(), { labels: { "com.docker.compose.service": "web" } });
 * await c.remove();
 */
export async function startTestContainer(
  image: string,
  options: { argv?: string[]; name?: string; labels?: Record<string, string>; args?: string[] } = {},
): Promise<TestContainer> {
  const name = options.name ?? `odoo-deploy-test-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const args = ["run", "-d", "--network", "host", "--name", name, "--label", "odoo-deploy.testkit=true", ...(options.args ?? [])];
  for (const [k, v] of Object.entries(options.labels ?? {})) args.push("--label", `${k}=${v}`);
  const argv = options.argv ?? [process.execPath, "-e", "setInterval(() => {}, 1 << 30); process.on('SIGTERM', () => process.exit(0))"];
  const id = (await run("docker", [...args, image, ...argv])).trim();
  let removed = false;
  return {
    id,
    name,
    async remove() {
      if (removed) return;
      removed = true;
      await execa("docker", ["rm", "-f", "-v", id], { reject: false });
    },
  };
}
